"""The autocast dtype choice of the mixed-precision chapter and the AMP notebook, on the GPUs readers use.

Both define one function, `amp_dtype_for(device)`. The tests take it from the chapter's runnable code and from
the notebook's setup cell (asserting the two are the same function), exec it, and run it against GPUs of compute
capability 6.0 (P100), 7.0 (V100), 7.5 (T4), 8.0 (A100) and 9.0 (H100), and against CPUs with and without BF16
instructions (AMX, AVX512-BF16, AVX-512 without BF16, AVX2 only, an Arm CPU). There is no GPU here, and only one
kind of CPU: monkeypatched `torch.cuda` functions and `torch.cpu.get_capabilities` stand in for the others (see
`stub_gpu` and `stub_cpu`).
"""

from __future__ import annotations

import ast
import json
from types import SimpleNamespace

import pytest
import torch
from conftest import ROOT
from run_doc_blocks import runnable

CHAPTER = ROOT / "docs" / "mixed-precision.md"
NOTEBOOK = ROOT / "notebooks" / "amp.ipynb"
NAME = "amp_dtype_for"


def _code_cells() -> list[str]:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def _chapter_blocks() -> list[str]:
    return [b.code for b in runnable(CHAPTER)]


def _definitions(codes: list[str]) -> list[str]:
    """Source of every top-level `def amp_dtype_for` in these code cells / blocks."""
    found = []
    for code in codes:
        if f"def {NAME}(" not in code:
            continue
        for node in ast.parse(code).body:
            if isinstance(node, ast.FunctionDef) and node.name == NAME:
                found.append(ast.get_source_segment(code, node))
    return found


def _only(found: list[str], where: str) -> str:
    assert len(found) == 1, f"{where} should define {NAME} exactly once, found {len(found)}"
    return found[0]


def test_chapter_and_notebook_define_the_same_function():
    chapter = _only(_definitions(_chapter_blocks()), CHAPTER.name)
    notebook = _only(_definitions(_code_cells()), NOTEBOOK.name)
    assert ast.dump(ast.parse(chapter)) == ast.dump(ast.parse(notebook)), \
        f"{CHAPTER.name} and {NOTEBOOK.name} must show the same {NAME}"


def _dtype_assignments(code: str, names: set[str]):
    """(target name, value node) of every assignment to one of `names` (plain or tuple targets)."""
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                elts = target.elts if isinstance(target, ast.Tuple) else [target]
                if isinstance(elts[0], ast.Name) and elts[0].id in names:
                    yield elts[0].id, node.value


@pytest.mark.parametrize("where", ["chapter", "notebook"])
def test_every_dtype_choice_goes_through_the_function(where):
    codes, names = ((_chapter_blocks(), {"amp_dtype"}) if where == "chapter" else (_code_cells(), {"AMP_DTYPE"}))
    uses = 0
    for code in codes:
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "is_bf16_supported":
                assert any(k.arg == "including_emulation" and getattr(k.value, "value", None) is False
                           for k in node.keywords), \
                    f"{where}: {ast.unparse(node)} counts emulation by default (True on a T4 or V100)"
        for name, value in _dtype_assignments(code, names):
            assert isinstance(value, ast.Call) and getattr(value.func, "id", None) == NAME, \
                f"{where}: {name} is chosen without {NAME}: {ast.unparse(value)}"
            uses += 1
    assert uses >= 1, f"{where} never chooses its autocast dtype with {NAME}"


@pytest.fixture(params=["chapter", "notebook"])
def amp_dtype_for(request):
    """The function as the chapter / the notebook defines it, exec'd on its own with torch in scope."""
    codes = _chapter_blocks() if request.param == "chapter" else _code_cells()
    namespace = {"torch": torch}
    exec(compile(_only(_definitions(codes), request.param), f"<{request.param}: {NAME}>", "exec"), namespace)
    return namespace[NAME]


def stub_gpu(monkeypatch, capability: tuple[int, int]):
    """Stub, not a GPU: monkeypatch the torch.cuda functions that amp_dtype_for and is_bf16_supported read so
    that they describe a CUDA device of this compute capability. Any such GPU can create a bfloat16 tensor
    (that is the emulation check inside is_bf16_supported)."""
    props = SimpleNamespace(major=capability[0], minor=capability[1], name=f"stub sm_{capability[0]}{capability[1]}")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda device=None: props)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.cuda, "_check_bf16_tensor_supported", lambda device: True)
    monkeypatch.setattr(torch.version, "hip", None)


GPUS = [((6, 0), "P100", torch.float16), ((7, 0), "V100", torch.float16), ((7, 5), "T4", torch.float16),
        ((8, 0), "A100", torch.bfloat16), ((9, 0), "H100", torch.bfloat16)]


@pytest.mark.parametrize("capability, gpu, expected", GPUS, ids=[g[1] for g in GPUS])
def test_gpu_gets_bf16_only_with_native_support(amp_dtype_for, monkeypatch, capability, gpu, expected):
    stub_gpu(monkeypatch, capability)
    dtype, why = amp_dtype_for("cuda")
    assert dtype == expected, f"{gpu} (sm_{capability[0]}{capability[1]}) should run {expected}, got {dtype}"
    assert f"sm_{capability[0]}{capability[1]}" in why                 # the verdict names the device it read
    assert ("GradScaler" in why) == (dtype == torch.float16)             # ... and says when a scaler is needed
    # The same answer as torch's own test for native BF16, which ignores emulation:
    assert (dtype == torch.bfloat16) == torch.cuda.is_bf16_supported(including_emulation=False)


@pytest.mark.parametrize("capability", [(7, 0), (7, 5)], ids=["V100", "T4"])
def test_default_is_bf16_supported_says_yes_on_pre_ampere(monkeypatch, capability):
    """Why the site does not use torch.cuda.is_bf16_supported(): its default, including_emulation=True,
    answers True on a GPU that can merely create a bfloat16 tensor (torch/cuda/__init__.py in torch 2.13)."""
    stub_gpu(monkeypatch, capability)
    assert torch.cuda.is_bf16_supported()
    assert not torch.cuda.is_bf16_supported(including_emulation=False)


def stub_cpu(monkeypatch, **flags):
    """Stub, not a CPU: torch.cpu.get_capabilities() reports these flags (all others absent), and any CUDA
    query fails, because choosing for a CPU must not touch a GPU."""
    def no_cuda(*args, **kwargs):
        raise AssertionError("amp_dtype_for('cpu') must not query a CUDA device")
    monkeypatch.setattr(torch.cuda, "get_device_capability", no_cuda)
    monkeypatch.setattr(torch.cuda, "get_device_properties", no_cuda)
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"architecture": "x86_64", **flags})


AVX512 = dict(avx2=True, avx512_f=True, avx512_bw=True, avx512_vl=True, avx512_dq=True)
CPUS = [("Sapphire Rapids (AMX)", dict(AVX512, avx512_bf16=True, amx_tile=True, amx_bf16=True), torch.bfloat16),
        ("Zen 4 (AVX512-BF16)", dict(AVX512, avx512_bf16=True), torch.bfloat16),
        ("Cascade Lake (AVX-512, no BF16)", AVX512, torch.float32),
        ("Zen 3 laptop (AVX2 only)", dict(avx2=True), torch.float32),
        ("Arm with bf16 (not recognised)", dict(architecture="arm64", neon=True, bf16=True), torch.float32)]


@pytest.mark.parametrize("flags, expected", [c[1:] for c in CPUS], ids=[c[0] for c in CPUS])
def test_cpu_gets_bf16_only_with_bf16_instructions(amp_dtype_for, monkeypatch, flags, expected):
    stub_cpu(monkeypatch, **flags)
    dtype, why = amp_dtype_for("cpu")
    assert dtype == expected
    assert why.startswith("CPU") and "GradScaler" not in why               # a CPU never needs a scaler
    if dtype == torch.float32:
        assert "autocast off" in why                                     # the reason says what to do


def test_this_cpu_agrees_with_pytorchs_own_check(amp_dtype_for):
    """On the machine running the tests: BF16 exactly when PyTorch's own flags report BF16 instructions."""
    dtype, _ = amp_dtype_for("cpu")
    native = torch.cpu._is_avx512_bf16_supported() or bool(torch.cpu.get_capabilities().get("amx_bf16"))
    assert (dtype == torch.bfloat16) == native


def test_float32_choice_switches_autocast_off():
    """Where amp_dtype_for answers float32, the chapter's loops must disable autocast rather than ask it for
    float32 (which CPU autocast refuses with a warning): every torch.autocast given amp_dtype takes `enabled=`."""
    seen = 0
    for code in _chapter_blocks():
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in ("torch.autocast", "torch.amp.autocast"):
                kw = {k.arg: k.value for k in node.keywords}
                if "dtype" in kw and ast.unparse(kw["dtype"]) == "amp_dtype":
                    assert "enabled" in kw, f"{ast.unparse(node)} runs autocast even where FP32 was chosen"
                    seen += 1
    assert seen >= 2


def test_notebook_demonstrates_bf16_where_fp32_was_chosen():
    """The notebook shows autocast at work everywhere: RUN_DTYPE is amp_dtype_for's answer, or bfloat16 where
    that answer is FP32 (a CPU without BF16 units), and the setup cell prints both."""
    runs = [ast.unparse(v) for code in _code_cells() for _, v in _dtype_assignments(code, {"RUN_DTYPE"})]
    assert runs == ["torch.bfloat16 if AMP_DTYPE == torch.float32 else AMP_DTYPE"], runs
