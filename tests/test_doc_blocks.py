"""Every ```python fence in docs/ runs (one fresh process per page); GPU-only blocks are skipped with a reason."""

from __future__ import annotations


import pytest
from conftest import BANNED_APIS, CHAPTERS, ROOT
from run_doc_blocks import extract_blocks, have_cuda, run_page, runnable

PAGES_WITH_CODE = [p for p in CHAPTERS if runnable(p)]
CUDA_BLOCKS = [(p, b.line) for p in CHAPTERS for b in runnable(p) if b.needs_cuda]


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=lambda p: p.name)
def test_page_code_runs(page):
    code, out, skipped = run_page(page)
    for line in skipped:
        print(line)
    assert code == 0, f"a python block in {page.relative_to(ROOT)} failed:\n{out[-4000:]}"


@pytest.mark.parametrize("page_line", CUDA_BLOCKS, ids=lambda pl: f"{pl[0].name}:{pl[1]}")
def test_gpu_block(page_line):
    page, line = page_line
    if not have_cuda():
        pytest.skip(f"{page.name}:{line} needs a CUDA GPU and none is present (it runs with its page on a GPU)")
    # On a GPU machine the block ran inside test_page_code_runs with the rest of its page.


@pytest.mark.parametrize("page", CHAPTERS, ids=lambda p: p.name)
def test_no_broken_api_in_runnable_code(page):
    for b in runnable(page):
        assert not BANNED_APIS.search(b.code), \
            f"{page.name}:{b.line} runs an API the site says is broken; label the fence title='From the source (broken)'"


@pytest.mark.parametrize("page", CHAPTERS, ids=lambda p: p.name)
def test_broken_source_code_is_followed_by_a_working_version(page):
    blocks = extract_blocks(page)
    for i, b in enumerate(blocks):
        if b.from_source:
            later = [x for x in blocks[i + 1:] if x.lang in ("python", "py") and not x.from_source]
            if b.lang in ("python", "py"):
                assert later, f"{page.name}:{b.line} shows the source's broken code with no working version after it"


def test_runner_reports_the_failing_line(tmp_path):
    page = tmp_path / "planted.md"
    page.write_text("# Planted\n\n```python\nx = 1\n```\n\ntext\n\n```python\nassert x == 2, 'planted'\n```\n")
    code, out, _ = run_page(page)
    assert code == 1 and "planted.md:10" in out
