"""Numbers that cannot drift: notebooks record the values their chapters quote; chapters insert them by name.

A notebook records values with the `record(**values)` helper of its setup cell, which displays them as a
`application/vnd.elm.values+json` output (plus a readable text/plain line for the reader). They live in the
committed outputs, so the from-scratch comparison of `make test` covers them like any other output.

A chapter writes `{{ notebook.name }}` or `{{ notebook.name:.1f }}` (any Python format spec: the stated
rounding). An unknown notebook or name is an error naming the file, the line and the name.

Cited constants (datasheet figures, model configurations, published training figures) take the same path:
scripts/cited_constants.yml holds them with their sources, and a chapter writes `{{ cited.<key> }}` or
`{{ cited.<key>:, }}`; `cited` is a reserved name, as if it were a notebook. typed_constants() finds where a
chapter types, outside code, one of the textual forms an entry lists under `typed` instead of inserting it.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import yaml

MIME = "application/vnd.elm.values+json"
PLACEHOLDER = re.compile(r"\{\{\s*(?P<nb>[A-Za-z_]\w*)\.(?P<name>[A-Za-z_]\w*)\s*(?::(?P<spec>[^}]*?))?\s*\}\}")


CITED = "cited"   # the placeholder prefix of the cited constants: {{ cited.<key> }}
CITED_FILE = Path(__file__).resolve().parent / "cited_constants.yml"


class UnknownValue(LookupError):
    pass


def recorded_values(nb: dict, label: str = "notebook") -> dict:
    """{name: value} from every values output of a notebook (nbformat node or plain JSON dict)."""
    values: dict = {}
    for i, cell in enumerate(nb["cells"], 1):
        for out in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            for name, value in out.get("data", {}).get(MIME, {}).items():
                if name in values:
                    raise ValueError(f"{label} cell {i}: value {name!r} is recorded twice")
                values[name] = value
    return values


_cache: dict[Path, tuple[float, dict]] = {}


def load_all(notebook_dir: Path) -> dict[str, dict]:
    """{notebook stem: {name: value}} for every notebook in the folder (re-read when a file changes)."""
    out = {}
    for p in sorted(notebook_dir.glob("*.ipynb")):
        mtime = p.stat().st_mtime
        if p not in _cache or _cache[p][0] != mtime:
            _cache[p] = (mtime, recorded_values(json.loads(p.read_text(encoding="utf-8")), p.name))
        out[p.stem] = _cache[p][1]
    return out


def load_cited(path: Path = CITED_FILE) -> dict:
    """The registry: {"constants": {key: entry}, "typed_pending": [chapter, ...]} (re-read when the file changes)."""
    mtime = path.stat().st_mtime
    if path not in _cache or _cache[path][0] != mtime:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data.setdefault("typed_pending", [])
        _cache[path] = (mtime, data)
    return _cache[path][1]


def cited_values(path: Path = CITED_FILE) -> dict:
    """{key: value} of the cited constants."""
    return {k: e["value"] for k, e in load_cited(path)["constants"].items()}


def all_values(root: Path) -> dict[str, dict]:
    """What a chapter may insert: every notebook's recorded values, and the cited constants under `cited`."""
    values = load_all(root / "notebooks")
    if CITED in values:
        raise ValueError(f"notebooks/{CITED}.ipynb: '{CITED}' is reserved for scripts/cited_constants.yml")
    values[CITED] = cited_values(root / "scripts" / CITED_FILE.name)
    return values


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
SCI = re.compile(r"^(?:\.(?P<digits>\d+))?sci$")


def render(value, spec: str | None) -> str:
    """The value in its format spec; besides Python's, `sci` / `.2sci` write 3.14 × 10²³ (mantissa as short as
    it is exact, or to the given decimals)."""
    if spec and (m := SCI.match(spec)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not value:
            raise ValueError(f"format 'sci' needs a non-zero number, not {value!r}")
        exp = math.floor(math.log10(abs(value)))
        mant = value / 10**exp
        text = f"{mant:.{m['digits']}f}" if m["digits"] else f"{mant:.12g}"
        return f"{text} × 10{str(exp).translate(SUPERSCRIPT)}"
    if spec:
        return format(value, spec)
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def substitute(text: str, values: dict[str, dict], where: str) -> str:
    """Replace every placeholder; raise UnknownValue listing each bad one as `where:line: ...`."""
    errors = []

    def repl(m: re.Match) -> str:
        nb, name, spec = m["nb"], m["name"], m["spec"]
        line = text.count("\n", 0, m.start()) + 1
        if nb == CITED and nb in values and name not in values[nb]:
            errors.append(f"{where}:{line}: {{{{ {nb}.{name} }}}}: scripts/cited_constants.yml has no constant {name!r}")
        elif nb not in values:
            errors.append(f"{where}:{line}: {{{{ {nb}.{name} }}}}: no notebook notebooks/{nb}.ipynb")
        elif name not in values[nb]:
            known = ", ".join(sorted(values[nb])) or "nothing"
            errors.append(f"{where}:{line}: {{{{ {nb}.{name} }}}}: notebooks/{nb}.ipynb records no value "
                          f"{name!r} (it records: {known})")
        else:
            try:
                return render(values[nb][name], spec)
            except (ValueError, TypeError) as err:
                errors.append(f"{where}:{line}: {{{{ {nb}.{name}:{spec} }}}}: {err}")
        return m.group(0)

    out = PLACEHOLDER.sub(repl, text)
    if errors:
        raise UnknownValue("\n".join(errors))
    return out


# ---------------------------------------------------------------------------------------------- typed constants
FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
LINK_URL = re.compile(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)|<https?://[^>]+>|https?://[^\s)>\]]+|^\s*\[[^\]]+\]:\s*\S+")
HTML_COMMENT = re.compile(r"<!--.*?-->")


def form_pattern(form: str) -> re.Pattern:
    """A typed form as it may appear in prose: whole (no letter, digit, hyphen, decimal point or thousands
    separator glued to its start, so "OPT-175B" or "v1.4T" are not GPT-3 or Chinchilla; no digit or decimal
    part after it; a form ending in a letter not followed by one), any run of spaces for its spaces."""
    body = r"\s+".join(re.escape(part) for part in form.split())
    end = r"(?![\d]|[.,]\d)" + (r"(?![A-Za-z])" if form[-1].isalpha() else "")
    return re.compile(r"(?<![\w.,\-])" + body + end if form[0].isdigit() else body + end)


def typed_forms(constants: dict) -> list[tuple[str, re.Pattern, list[str]]]:
    """[(form, its pattern, [keys listing it])], longest form first (so "1,979 TOPS" wins over "1,979")."""
    keys: dict[str, list[str]] = {}
    for key, entry in constants.items():
        for form in entry.get("typed", []):
            keys.setdefault(str(form), []).append(key)
    return [(f, form_pattern(f), ks) for f, ks in sorted(keys.items(), key=lambda x: -len(x[0]))]


def prose_lines(text: str):
    """(line number, text) of each line outside code fences, with inline code, placeholders, HTML comments and
    link targets blanked (so a URL or `989e12` in code is never a hit)."""
    fence = None
    for n, line in enumerate(text.splitlines(), 1):
        m = FENCE.match(line)
        if m:
            if fence is None:
                fence = m.group(1)
            elif m.group(1) == fence:
                fence = None
            continue
        if fence is not None:
            continue
        for pattern in (HTML_COMMENT, PLACEHOLDER, INLINE_CODE, LINK_URL):
            line = pattern.sub(lambda x: " " * len(x.group(0)), line)
        yield n, line


def typed_constants(text: str, where: str, constants: dict) -> list[str]:
    """`where:LINE: typed 989 — use {{ cited.h100_sxm_bf16_dense_tflops }}` for every typed form in the prose."""
    forms = typed_forms(constants)
    hits = []
    for n, line in prose_lines(text):
        taken: list[tuple[int, int]] = []
        for form, pattern, keys in forms:
            for m in pattern.finditer(line):
                if any(a < m.end() and m.start() < b for a, b in taken):
                    continue   # part of a longer form already reported
                taken.append(m.span())
                use = " or ".join(f"{{{{ {CITED}.{k} }}}}" for k in keys)
                hits.append((n, m.start(), f"{where}:{n}: typed {form} — use {use}"))
    return [h for _, _, h in sorted(hits)]


def resolve_cited(x, cited: dict, source: str):
    """Every {"cited": key[, "times": f]} in a JSON structure (the calculators' and planner's inputs) replaced by the
    registry's number (times f, to 12 significant digits so 3.35 × 1000 is 3350; a whole number as an int, so a page
    shows 3350, not 3350.0). An unknown key is an error naming the file and the key."""
    if isinstance(x, dict) and "cited" in x:
        if x["cited"] not in cited:
            raise KeyError(f"{source}: no constant {x['cited']!r} in scripts/cited_constants.yml")
        v = float(f"{cited[x['cited']] * x.get('times', 1):.12g}")
        return int(v) if v.is_integer() else v
    if isinstance(x, dict):
        return {k: resolve_cited(y, cited, source) for k, y in x.items()}
    if isinstance(x, list):
        return [resolve_cited(y, cited, source) for y in x]
    return x
