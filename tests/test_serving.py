"""The serving notebook's server helpers stop everything they start, on every exit path (a few seconds, no model).

The helper cell of notebooks/llm_serving.ipynb is executed as written; a stand-in "server" (a Python process that
starts a child and sleeps) replaces `transformers serve`, so the process-group and parent-death logic is tested
without loading a model."""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

import nbformat
import psutil
import pytest
from conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "llm_serving.ipynb"
HELPER_CELL = "5e7a0006"      # defines Server, stop_all, group_members; starts nothing
# a stand-in server: starts a grandchild (as a server's worker would), then waits; extra CLI arguments are ignored
STAND_IN = [sys.executable, "-c",
            "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']);"
            " time.sleep(120)"]


def helper_source() -> str:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    return next(c.source for c in nb.cells if c.get("id") == HELPER_CELL)


def helpers(work_dir: Path) -> dict:
    namespace = dict(os=os, sys=sys, signal=signal, socket=socket, subprocess=subprocess, tempfile=tempfile,
                     time=time, urllib=urllib, psutil=psutil, atexit=atexit, Path=Path, work_dir=work_dir)
    exec(compile(helper_source(), f"{NOTEBOOK.name} cell {HELPER_CELL}", "exec"), namespace)
    return namespace


def wait_until_gone(pids, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return []
        time.sleep(0.1)
    return alive


def test_helper_cell_starts_nothing_and_stop_all_kills_the_whole_group(tmp_path):
    ns = helpers(tmp_path)
    assert ns["SERVERS"] == []
    server = ns["Server"]("stand-in", STAND_IN)
    deadline = time.monotonic() + 10
    while len(ns["group_members"](server.proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    members = ns["group_members"](server.proc.pid)
    assert len(members) == 2, f"the stand-in and its child should share the server's process group: {members}"
    left = ns["stop_all"]()
    assert left == {"stand-in": []}
    assert not wait_until_gone(members), "a process of the server's group survived stop_all()"


def test_a_port_in_use_is_reported_as_such(tmp_path):
    ns = helpers(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(RuntimeError, match="already in use"):
            ns["Server"]("stand-in", STAND_IN, port=port)
    assert ns["SERVERS"] == []


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux-only")
def test_a_killed_kernel_takes_its_server_with_it(tmp_path):
    """SIGKILL the process that started the server (atexit cannot run): the server must still go."""
    pid_file = tmp_path / "pids"
    parent = textwrap.dedent(f"""
        import atexit, os, signal, socket, subprocess, sys, tempfile, time, urllib
        from pathlib import Path
        import psutil
        ns = dict(os=os, sys=sys, signal=signal, socket=socket, subprocess=subprocess, tempfile=tempfile, time=time,
                  urllib=urllib, psutil=psutil, atexit=atexit, Path=Path, work_dir=Path({str(tmp_path)!r}))
        exec({helper_source()!r}, ns)
        server = ns["Server"]("stand-in", {STAND_IN!r})
        Path({str(pid_file)!r}).write_text(str(server.proc.pid))
        time.sleep(120)
    """)
    kernel = subprocess.Popen([sys.executable, "-c", parent])
    deadline = time.monotonic() + 20
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    server_pid = int(pid_file.read_text())
    try:
        kernel.send_signal(signal.SIGKILL)
        kernel.wait()
        assert not wait_until_gone([server_pid]), "the server outlived the process that started it"
    finally:
        try:
            os.killpg(server_pid, signal.SIGKILL)     # the stand-in's grandchild, if the test failed
        except ProcessLookupError:
            pass
