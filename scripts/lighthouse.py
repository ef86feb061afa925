"""Performance budget of the site: the time of a strict build, then Lighthouse (mobile and desktop) on the home page,
the calculators, the planner, the heaviest chapter with figures, the heaviest notebook page and, in Chinese, the
calculators and the heaviest page, served from site/ on a free 127.0.0.1 port, driven through Debian's Chromium.

    make bench                                            # results in test-artifacts/lighthouse.{md,json}
    python scripts/lighthouse.py --page planner/ --runs 3  # only these pages (repeat --page), fewer runs

A benchmark, not a test: it reports and never fails on a score (the goal is >= 95 performance, accessibility and
best practices on mobile, and <= 1.5 MB per page). Each page and preset is measured RUNS times, one after another, and
the run with the median performance score is reported with the range, as Lighthouse's documentation advises for its
run-to-run variability (https://github.com/GoogleChrome/lighthouse/blob/main/docs/variability.md).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
OUT = ROOT / "test-artifacts"
CHROMIUM = next((p for p in ("/usr/lib/chromium/chromium", shutil.which("chromium") or "") if p and Path(p).exists()), None)
LIGHTHOUSE_VERSION = "12.8.2"  # 13.x needs Node >= 22.19; this machine has Node 20
CATEGORIES = ["performance", "accessibility", "best-practices"]
RUNS = 5  # "the median Lighthouse score of 5 runs is twice as stable as 1 run" (docs/variability.md)
GZIP = "--no-gzip" not in sys.argv  # `python scripts/lighthouse.py --no-gzip` measures uncompressed transfers


class Quiet(http.server.SimpleHTTPRequestHandler):
    """Static files, gzip-compressed when the browser accepts it, as GitHub Pages and most hosts serve them."""
    COMPRESS = (".html", ".css", ".js", ".json", ".svg", ".xml", ".ipynb")

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not (GZIP and path.suffix in self.COMPRESS and path.is_file()
                and "gzip" in self.headers.get("Accept-Encoding", "")):
            return super().do_GET()
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def heaviest_page(folder: str) -> str:
    """The page under folder/ with the most bytes in its own directory (HTML plus its plot files); the print page,
    every page in one, is left out."""
    pages = [p for p in (SITE / folder).glob("**/index.html") if "print_page" not in p.parts]
    heaviest = max(pages, key=lambda p: sum(f.stat().st_size for f in p.parent.iterdir() if f.is_file()))
    return f"{heaviest.parent.relative_to(SITE).as_posix()}/"


def heaviest_figure_chapter() -> str:
    """The English chapter with figures (scripts/figures.py draws them as .elm-fig) with the most bytes."""
    pages = [p for p in SITE.glob("*/index.html")
             if p.parent.name not in ("notebooks", "zh", "print_page") and 'class="elm-fig"' in p.read_text("utf-8")]
    return f"{max(pages, key=lambda p: p.stat().st_size).parent.name}/"


def run(url: str, preset: str) -> dict:
    args = ["npx", "--yes", f"lighthouse@{LIGHTHOUSE_VERSION}", url, "--quiet", "--output=json", "--output-path=stdout",
            f"--only-categories={','.join(CATEGORIES)}", f"--chrome-path={CHROMIUM}",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-background-networking "
            "--disable-component-update --disable-sync --no-first-run"]
    if preset == "desktop":
        args.append("--preset=desktop")
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300)
    if proc.returncode:
        raise RuntimeError(f"lighthouse failed on {url} ({preset}):\n{proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    scores = {c: round(100 * (report["categories"][c]["score"] or 0)) for c in CATEGORIES}
    audits = report["audits"]
    return {**scores, "total_bytes": audits["total-byte-weight"]["numericValue"],
            "fcp_ms": audits["first-contentful-paint"]["numericValue"],
            "lcp_ms": audits["largest-contentful-paint"]["numericValue"]}


def median_run(url: str, preset: str, runs: int = RUNS) -> dict:
    runs = sorted((run(url, preset) for _ in range(runs)), key=lambda r: r["performance"])
    return {**runs[len(runs) // 2], "performance_range": [runs[0]["performance"], runs[-1]["performance"]]}


def build_seconds() -> float:
    """Wall time of `mkdocs build --strict` of both languages into site/ (the goal: 25 s on an idle 2-core machine)."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "-q"], cwd=ROOT,
                          capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"mkdocs build --strict failed (exit {proc.returncode}):\n{proc.stderr}")
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--page", action="append", help="a page path under the site root (default: the set above)")
    ap.add_argument("--runs", type=int, default=RUNS, help=f"runs per page and preset (default {RUNS})")
    ap.add_argument("--no-gzip", action="store_true", help="measure uncompressed transfers")
    args = ap.parse_args()
    seconds = build_seconds()
    print(f"mkdocs build --strict, both languages: {seconds:.1f} s", flush=True)
    if CHROMIUM is None or shutil.which("npx") is None:
        print("needs Debian's chromium and npx (Node.js): not found, nothing measured", file=sys.stderr)
        return 2
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Quiet, directory=str(SITE)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    results = {}
    try:
        pages = args.page or ["", "estimate/", "planner/", heaviest_figure_chapter(), heaviest_page("notebooks"),
                              "zh/estimate/", heaviest_page("zh")]
        for page in pages:
            for preset in ("mobile", "desktop"):
                url = f"http://127.0.0.1:{port}/{page}"
                results[f"/{page} ({preset})"] = median_run(url, preset, args.runs)
                print(f"/{page} ({preset}): {results[f'/{page} ({preset})']}", flush=True)
    finally:
        httpd.shutdown()
    OUT.mkdir(exist_ok=True)
    (OUT / "lighthouse.json").write_text(json.dumps(results, indent=1))
    lines = [f"`mkdocs build --strict`, both languages: {seconds:.1f} s.", "", f"Served from site/ on 127.0.0.1, {'gzip' if GZIP else 'uncompressed'}; Lighthouse {LIGHTHOUSE_VERSION}, median of {args.runs} runs, "
             f"Chromium {CHROMIUM}.", "","| page | performance (median; range) | accessibility | best practices | total bytes | FCP | LCP |",
             "|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        lo, hi = r["performance_range"]
        lines.append(f"| {name} | {r['performance']} ({lo}-{hi}) | {r['accessibility']} | {r['best-practices']} | "
                     f"{r['total_bytes'] / 1e6:.2f} MB | {r['fcp_ms'] / 1000:.1f} s | {r['lcp_ms'] / 1000:.1f} s |")
    (OUT / "lighthouse.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
