"""The one seam around premailer: CSS inlined with the network off, merge tags kept byte-identical."""

from __future__ import annotations

import logging
import re

from .urls import MERGE_TAG

log = logging.getLogger("newsletter.inline")
# Stylesheet links and @import would make premailer (or cssutils) fetch over the network.
_LINK = re.compile(r"<link\b[^>]*>", re.I)
_IMPORT = re.compile(r"@import\b[^;]*;?", re.I)


def strip_remote_css(html: str) -> str:
    return _IMPORT.sub("", _LINK.sub("", html))


def inline_css(html: str) -> str:
    """Inline the <style> rules; @media rules stay in the head (the template marks them !important)."""
    from premailer import Premailer  # lazy: lxml + cssutils cost ~180 ms at import

    protected, tags = _protect_merge_tags(strip_remote_css(html))
    inliner = Premailer(
        protected,
        allow_network=False,
        allow_loading_external_files=False,
        disable_validation=True,
        remove_classes=False,
        keep_style_tags=False,
        strip_important=False,
        # Outlook reads width/height attributes, not CSS: keep the template's numbers, never "100%"/"auto".
        disable_basic_attributes=["width", "height"],
        cssutils_logging_handler=_handler(),
        cssutils_logging_level=logging.ERROR,
    )
    return _restore_merge_tags(inliner.transform(pretty_print=False), tags)


def _protect_merge_tags(html: str) -> tuple[str, list[str]]:
    """lxml URL-escapes '|', '{' and spaces in href; swap merge tags for inert tokens, then back."""
    tags: list[str] = []

    def swap(match: re.Match) -> str:
        tags.append(match.group(0))
        return f"nlmergetag{len(tags) - 1}x"

    return MERGE_TAG.sub(swap, html), tags


def _restore_merge_tags(html: str, tags: list[str]) -> str:
    return re.sub(r"nlmergetag(\d+)x", lambda m: tags[int(m.group(1))], html)


def _handler() -> logging.Handler:
    """cssutils' messages go to our logger instead of stderr."""

    class _Forward(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            log.log(record.levelno, "cssutils: %s", record.getMessage())

    return _Forward()
