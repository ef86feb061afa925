"""Numbers that cannot drift: notebooks record the values their chapters quote; chapters insert them by name.

A notebook records values with the `record(**values)` helper of its setup cell, which displays them as a
`application/vnd.elm.values+json` output (plus a readable text/plain line for the reader). They live in the
committed outputs, so the from-scratch comparison of `make test` covers them like any other output.

A chapter writes `{{ notebook.name }}` or `{{ notebook.name:.1f }}` (any Python format spec: the stated
rounding). An unknown notebook or name is an error naming the file, the line and the name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

MIME = "application/vnd.elm.values+json"
PLACEHOLDER = re.compile(r"\{\{\s*(?P<nb>[A-Za-z_]\w*)\.(?P<name>[A-Za-z_]\w*)\s*(?::(?P<spec>[^}]*?))?\s*\}\}")


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


def render(value, spec: str | None) -> str:
    if spec:
        return format(value, spec)
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def substitute(text: str, values: dict[str, dict], where: str) -> str:
    """Replace every placeholder; raise UnknownValue listing each bad one as `where:line: ...`."""
    errors = []

    def repl(m: re.Match) -> str:
        nb, name, spec = m["nb"], m["name"], m["spec"]
        line = text.count("\n", 0, m.start()) + 1
        if nb not in values:
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
