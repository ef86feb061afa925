"""The order a phone loads a page in: text first, scripts after.

- A page's own stylesheet (notebook.css, estimate.css: linked from the content so the printable page gets it too)
  moves to <head>. Linked from <body>, it holds back the paint of everything after it.
- Material's bundle.js, a parser-blocking <script> at the end of <body>, gets `defer`. Chrome parses the header,
  paints it, parses on and runs the bundle (~50 ms on this machine's CPU, 200 ms under Lighthouse's 4x phone
  throttling) before it paints the article. Deferred, the bundle still runs before DOMContentLoaded, as
  Material's code expects, and the inline scripts of the page need nothing from it.

Material's navigation.instant is off (mkdocs.yml). Whoever turns it on must check that a page's own stylesheet still
loads on a page reached that way (Material swaps the page's components; its <head> is not reloaded).

Measured with Lighthouse (mobile) on /estimate/: the article's first paint, the LCP, came at random after the
bundle, 3.6-3.7 s instead of 1.9 s, in 2 runs of 4; after both changes, in none of 9.
"""

import logging

from selectolax.lexbor import LexborHTMLParser

log = logging.getLogger("mkdocs.hooks.load_order")
BUNDLE = 'script[src*="assets/javascripts/bundle."]'


def on_post_page(output, page, config):
    body = LexborHTMLParser(output).body
    links = [link.html for link in body.css('link[rel="stylesheet"]')]
    bundles = [script.html for script in body.css(BUNDLE)]
    head, end, rest = output.partition("</head>")
    for tag in links + bundles:
        if tag not in rest:  # the parser's serialisation differs from the template's: fail --strict, change nothing
            log.warning("%s: cannot find %s to move or defer (load_order.py)", page.file.src_uri, tag)
            return output
    for tag in links:
        rest = rest.replace(tag, "", 1)
    for tag in bundles:
        rest = rest.replace(tag, tag.replace("></script>", " defer></script>", 1), 1)
    return f"{head}{''.join(links)}{end}{rest}"
