"""The serving notebook's server helpers stop everything they start, on every exit path (a few seconds, no model).

The helper cell of notebooks/llm_serving.ipynb is executed as written; a stand-in "server" (a Python process that
starts a child and sleeps) replaces `transformers serve`, so the process-group and kernel-death logic is tested
without loading a model. Each server runs under the helper's supervisor, so a started stand-in is a group of three:
supervisor, stand-in, and the stand-in's own child (the grandchild, which a parent-death signal would not reach)."""

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


class Hooks:
    """Stands in for the atexit module: the hooks the cell leaves registered."""

    def __init__(self):
        self.hooks = []

    def register(self, func):
        self.hooks.append(func)
        return func

    def unregister(self, func):
        self.hooks = [f for f in self.hooks if f != func]


def helpers(work_dir: Path, hooks=atexit) -> dict:
    namespace = dict(os=os, sys=sys, signal=signal, socket=socket, subprocess=subprocess, tempfile=tempfile,
                     time=time, urllib=urllib, psutil=psutil, atexit=hooks, Path=Path, work_dir=work_dir)
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


def group_of_three(group_members, pgid, timeout=20.0):
    """The group's members once supervisor, stand-in and grandchild are all up."""
    deadline = time.monotonic() + timeout
    while len(group_members(pgid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    return group_members(pgid)


def test_helper_cell_starts_nothing_and_stop_all_kills_the_whole_group(tmp_path):
    ns = helpers(tmp_path)
    assert ns["SERVERS"] == []
    server = ns["Server"]("stand-in", STAND_IN)
    members = group_of_three(ns["group_members"], server.proc.pid)
    assert len(members) == 3, f"supervisor, stand-in and its child should share the server's process group: {members}"
    left = ns["stop_all"]()
    assert left == {"stand-in": []}
    assert not wait_until_gone(members), "a process of the server's group survived stop_all()"


def test_rerunning_the_helper_cell_keeps_track_of_running_servers(tmp_path):
    """Re-executing the cell in the same namespace (a reader re-runs it) must not forget a running server, nor
    register a second atexit hook."""
    hooks = Hooks()
    ns = helpers(tmp_path, hooks)
    assert hooks.hooks == [ns["stop_all"]]
    server = ns["Server"]("stand-in", STAND_IN)
    members = group_of_three(ns["group_members"], server.proc.pid)
    try:
        exec(compile(helper_source(), f"{NOTEBOOK.name} cell {HELPER_CELL}", "exec"), ns)
        assert hooks.hooks == [ns["stop_all"]], f"re-running the cell left these atexit hooks: {hooks.hooks}"
        assert server in ns["SERVERS"], "re-running the cell forgot the running server"
        assert ns["stop_all"]() == {"stand-in": []}
        assert not wait_until_gone(members), "a process of the first server's group survived stop_all()"
    finally:
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_a_port_in_use_is_reported_as_such(tmp_path):
    ns = helpers(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(RuntimeError, match="already in use"):
            ns["Server"]("stand-in", STAND_IN, port=port)
    assert ns["SERVERS"] == []


@pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX")
def test_a_killed_kernel_takes_its_server_and_the_servers_children_with_it(tmp_path):
    """SIGKILL the process that started the server (atexit cannot run): the supervisor must take the whole group,
    the server's own child (the grandchild) included."""
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
    pgid = int(pid_file.read_text())
    ns = helpers(tmp_path)
    members = group_of_three(ns["group_members"], pgid)
    try:
        assert len(members) == 3, f"supervisor, stand-in and grandchild should be up: {members}"
        kernel.send_signal(signal.SIGKILL)
        kernel.wait()
        alive = wait_until_gone(members)
        assert not alive, f"processes of the server's group outlived the process that started it: {alive}"
    finally:
        try:
            os.killpg(pgid, signal.SIGKILL)           # clean up after a failure; the assert above has already run
        except ProcessLookupError:
            pass
