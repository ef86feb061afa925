"""Run the ```python fences of Markdown chapters, in order, one fresh process per page.

    python scripts/run_doc_blocks.py docs/mixed-precision.md [more.md ...]

Rules (CONTRIBUTING.md): a fence titled "From the source ..." is the source's broken code and never runs;
a block whose first line is `# needs: cuda` is skipped (with the reason printed) when no CUDA GPU is present.
Blocks are compiled with their real line numbers, so a traceback points at docs/<page>.md:<line>.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^\n`]*)$")
NEEDS_CUDA = "# needs: cuda"


@dataclass
class Block:
    path: str
    line: int  # 1-based line of the first code line
    lang: str
    info: str
    code: str

    @property
    def from_source(self) -> bool:
        return bool(re.search(r'title="[^"]*from the source', self.info, re.I))

    @property
    def needs_cuda(self) -> bool:
        return self.code.lstrip().startswith(NEEDS_CUDA)


def extract_blocks(path: str | Path) -> list[Block]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m["indent"], m["fence"], m["info"].strip()
        body, j = [], i + 1
        while j < len(lines):
            close = re.match(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}\s*$", lines[j])
            if close:
                break
            body.append(lines[j][len(indent):] if lines[j].startswith(indent) else lines[j].lstrip())
            j += 1
        lang = info.split()[0].lstrip(".{").lower() if info else ""
        blocks.append(Block(str(path), i + 2, lang, info, "\n".join(body) + "\n"))
        i = j + 1
    return blocks


def runnable(path: str | Path) -> list[Block]:
    return [b for b in extract_blocks(path) if b.lang in ("python", "py") and not b.from_source]


def have_cuda() -> bool:
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and "GPU" in out.stdout


RUNNER = textwrap.dedent('''
    import sys, traceback
    ns = {"__name__": "__main__"}
    for path, line, code in BLOCKS:
        print(f"--- running {path}:{line}", flush=True)
        try:
            exec(compile("\\n" * (line - 1) + code, path, "exec"), ns)
        except BaseException:
            traceback.print_exc()
            print(f"FAILED block at {path}:{line}", file=sys.stderr, flush=True)
            sys.exit(1)
''')


def run_page(path: str | Path, timeout: int = 600) -> tuple[int, str, list[str]]:
    """Run one page's blocks; return (exit code, combined output, skip reasons)."""
    path = Path(path).resolve()
    rel = os.path.relpath(path)
    cuda = have_cuda()
    todo, skipped = [], []
    for b in runnable(path):
        if b.needs_cuda and not cuda:
            skipped.append(f"SKIPPED {rel}:{b.line}: needs a CUDA GPU and none is present")
        else:
            todo.append((str(path), b.line, b.code))
    if not todo:
        return 0, "", skipped
    env = dict(os.environ, MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0")
    with tempfile.TemporaryDirectory(prefix="docblocks-") as tmp:
        proc = subprocess.run([sys.executable, "-c", f"BLOCKS = {todo!r}\n" + RUNNER], cwd=tmp, env=env,
                              capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr, skipped


def main(argv: list[str]) -> int:
    status = 0
    for page in argv:
        code, out, skipped = run_page(page)
        for s in skipped:
            print(s)
        n = len(runnable(page))
        if code:
            print(out)
            status = 1
        print(f"{'FAIL' if code else 'ok'} {page}: {n} python block(s), {len(skipped)} skipped")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
