"""One search index per language. mkdocs-static-i18n merges both languages into /search/search_index.json, which
every page downloads (~740 KB gzipped): an English reader fetched the Chinese text and the reverse. After the
merge, the index is split: English entries stay at /search/, Chinese ones go to /zh/search/ (locations relative
to /zh/), and Chinese pages tell Material's search that their root is /zh/ (`base` in the page's __config,
which Material uses only to find the index and resolve result links, and for the version selector we don't use)."""

import json
import sys
from pathlib import Path

from mkdocs.plugins import event_priority
from selectolax.lexbor import LexborHTMLParser

sys.path.insert(0, str(Path(__file__).parent))
from _site import language  # noqa: E402

INDEX = "search/search_index.json"


def on_post_page(output, page, config):
    if language(config) == "en":
        return output
    script = LexborHTMLParser(output).css_first("script#__config")
    app = json.loads(script.text())
    app["base"] = f"{app['base']}/{language(config)}/"  # a trailing slash: Material resolves URLs against it
    return output.replace(script.text(), json.dumps(app), 1)


@event_priority(-200)  # after mkdocs-static-i18n (-100) has built /zh/ and written the merged index
def on_post_build(config):
    if config.plugins["i18n"].building:  # the Chinese build, nested in the English one's post-build
        return
    site = Path(config["site_dir"])
    merged = json.loads((site / INDEX).read_text(encoding="utf-8"))
    for lang in ("en", "zh"):
        prefix = "" if lang == "en" else f"{lang}/"
        docs = [{**d, "location": d["location"][len(prefix):]} for d in merged["docs"]
                if d["location"].startswith("zh/") == (lang == "zh")]
        index = {"config": {**merged["config"], "lang": ["en"] if lang == "en" else ["en", lang]}, "docs": docs}
        (site / prefix / INDEX).parent.mkdir(parents=True, exist_ok=True)
        (site / prefix / INDEX).write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
