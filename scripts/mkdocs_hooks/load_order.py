"""The order a phone loads a page in: text first, scripts after.

- A page's own stylesheet (notebook.css, estimate.css: linked from the content so the printable page gets it too)
  moves to <head>. Linked from <body>, it holds back the paint of everything after it.
- Material's bundle.js, a parser-blocking <script> at the end of <body>, gets `defer`. Chrome parses the header,
  paints it, parses on and runs the bundle (~50 ms on this machine's CPU, 200 ms under Lighthouse's 4x phone
  throttling) before it paints the article. Deferred, the bundle still runs before DOMContentLoaded, as
  Material's code expects, and the inline scripts of the page need nothing from it.
- print-site's stylesheets get `media="print"` and its script is left out. On a chapter they style only the
  printable page's own elements (#print-site-page, #print-page-toc) and its @page box, and the script only defines
  the functions that page calls (no chapter calls them); yet as plain <link>s and a parser-blocking <script> they
  held back the first paint (Lighthouse mobile, /parallel-training/, with the code blocks below already deferred:
  first contentful paint 1.66 -> 1.51 s, 3 runs each). Printing a chapter still uses the stylesheets. The
  printable page itself is rendered by print-site after the build, without this hook, and keeps both.
- A chapter's code blocks are rendered only near the screen (content-visibility in assets/site.css, for the blocks
  sized here). Until then a block is as tall as its `contain-intrinsic-block-size`, set per block from its line
  count: Material's code is 1.19 em a line with 1.31 em of padding; the rest is room for a thin horizontal
  scrollbar (in an admonition, the tightest case, the estimate is never under the real height, measured at 390 and
  1280 px). With one size for all, a long block's text overflowed its placeholder onto the next element for a tool
  that measures it unrendered (axe read a tab label on the code background). Only Pygments' blocks
  (`<pre><span></span><code>`) are sized: the formula is theirs.

Material's navigation.instant is off (mkdocs.yml). Whoever turns it on must check that a page's own stylesheet still
loads on a page reached that way (Material swaps the page's components; its <head> is not reloaded).

Measured with Lighthouse (mobile) on /estimate/: the article's first paint, the LCP, came at random after the
bundle, 3.6-3.7 s instead of 1.9 s, in 2 runs of 4; after both changes, in none of 9.
"""

import logging
import re

from selectolax.lexbor import LexborHTMLParser

log = logging.getLogger("mkdocs.hooks.load_order")
BUNDLE = 'script[src*="assets/javascripts/bundle."]'
PRINT_SITE_CSS = 'link[rel="stylesheet"][href*="css/print-site"]'
PRINT_SITE_JS = 'script[src$="js/print-site.js"]'
CODE_BLOCK = re.compile(r"<pre>(<span></span><code>.*?)</pre>", re.S)  # Pygments' HTML; notebook cells differ


def sized(block: re.Match) -> str:
    lines = block[1].count("\n") or 1  # Pygments ends every line with one; screen CSS does not wrap
    return f'<pre style="contain-intrinsic-block-size: auto {1.2 * lines + 2.2:.1f}em">{block[1]}</pre>'


def on_post_page(output, page, config):
    if page.file.src_uri.endswith(".md"):
        output = CODE_BLOCK.sub(sized, output)
    tree = LexborHTMLParser(output)
    links = [link.html for link in tree.body.css('link[rel="stylesheet"]')]
    deferred = [script.html for script in tree.body.css(BUNDLE)]
    dropped = [script.html for script in tree.body.css(PRINT_SITE_JS)]
    print_css = [link.html for link in tree.head.css(PRINT_SITE_CSS)]
    head, end, rest = output.partition("</head>")
    for tag, where in [(t, rest) for t in links + deferred + dropped] + [(t, head) for t in print_css]:
        if tag not in where:  # the parser's serialisation differs from the template's: fail --strict, change nothing
            log.warning("%s: cannot find %s to move or defer (load_order.py)", page.file.src_uri, tag)
            return output
    for tag in print_css:
        head = head.replace(tag, tag.replace(">", ' media="print">', 1), 1)
    for tag in links + dropped:
        rest = rest.replace(tag, "", 1)
    for tag in deferred:
        rest = rest.replace(tag, tag.replace("></script>", " defer></script>", 1), 1)
    return f"{head}{''.join(links)}{end}{rest}"
