"""URL policy shared by every stage: the allow-list, absolute links, ESP merge tags and UTM tags."""

from __future__ import annotations

import html
import re
from urllib.parse import SplitResult, unquote, unquote_plus, urlencode, urljoin, urlsplit, urlunsplit

# Merge tags of common ESPs: Mailchimp *|UNSUB|*, Liquid/Handlebars {{ x }}, Mailgun %x%, Brevo/Sendy {$x}.
# ASCII only and no line breaks inside: a merge tag also goes into the List-Unsubscribe header.
MERGE_TAG = re.compile(r"(?a)\*\|[A-Z0-9_:]+\|\*|\{\{\{?[ ]*[\w.]+[ ]*\}?\}\}|%[\w.]+%|\{\$[\w.]+\}")
ALLOWED_SCHEMES = ("http", "https", "mailto")
LOOPBACK = ("127.0.0.1", "localhost", "::1")  # hosts that never leave this machine
# Control characters and whitespace that browsers drop inside a scheme ("jav&#x09;ascript:").
_SCHEME_NOISE = re.compile(r"[\x00-\x20\x7f]+")


def is_merge_tag(url: str) -> bool:
    return MERGE_TAG.fullmatch(url.strip()) is not None


def scheme_of(url: str) -> str:
    cleaned = _SCHEME_NOISE.sub("", html.unescape(url))
    match = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", cleaned)
    return match.group(1).lower() if match else ""


def split(url: str) -> SplitResult | None:
    """urlsplit, or None for what it cannot parse ('http://[oops', a bad port)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        return None
    return parts


def is_allowed(url: str) -> bool:
    """http, https, mailto, relative paths and merge tags; nothing else (javascript:, data:, file:...,
    or a URL that does not parse)."""
    if is_merge_tag(url):
        return True
    scheme = scheme_of(url)
    return (scheme in ALLOWED_SCHEMES or scheme == "") and split(url) is not None


def is_absolute_http(url: str) -> bool:
    parts = split(url)
    return parts is not None and parts.scheme in ("http", "https") and bool(parts.netloc)


def absolute(url: str, site_url: str) -> str:
    """Relative links become absolute against the site; merge tags, mailto and anchors stay."""
    if is_merge_tag(url) or scheme_of(url) or url.startswith("#"):
        return url
    if url.startswith("//"):  # protocol-relative: email has no page protocol to inherit, so https
        return "https:" + url
    return urljoin(site_url.rstrip("/") + "/", url)


def is_own(url: str, site_url: str) -> bool:
    parts, site = split(url), split(site_url)
    return parts is not None and site is not None and parts.netloc.lower() == site.netloc.lower()


def with_utm(url: str, site_url: str, params: dict[str, str]) -> str:
    """The site's own links with these UTM parameters instead of any `utm_*` they had (a link copied
    from another campaign never reports to two); other parameters and other sites' links are kept.
    With no `params`, an own link only loses its stale `utm_*`. The rest of the query stays byte for
    byte: `?e=*|EMAIL|*` is a merge tag the ESP fills in, and percent-encoding it (as parse_qsl and
    urlencode do) would leave the ESP nothing to find."""
    if not is_absolute_http(url) or not is_own(url, site_url):
        return url
    parts = urlsplit(url)
    pieces = parts.query.split("&") if parts.query else []
    kept = [piece for piece in pieces if not _is_utm(piece)]
    if not params and len(kept) == len(pieces):
        return url  # nothing to take out or add: the link as written
    query = "&".join([*kept, urlencode(list(params.items()))] if params else kept)
    return urlunsplit(parts._replace(path=parts.path or "/", query=query))


def same_page(url: str, other: str) -> bool:
    """The same page, whatever the query, the fragment, the host's case or a trailing slash."""
    a, b = split(url), split(other)
    if a is None or b is None:
        return False
    return (a.scheme.lower(), a.netloc.lower(), a.path.rstrip("/")) == (
        b.scheme.lower(), b.netloc.lower(), b.path.rstrip("/"),
    )  # fmt: skip


def has_utm(url: str) -> bool:
    parts = split(url)
    return parts is not None and any(_is_utm(piece) for piece in parts.query.split("&"))


def _is_utm(piece: str) -> bool:
    """A query piece `name=value` whose name (decoded) is utm_*."""
    return unquote_plus(piece.split("=", 1)[0]).lower().startswith("utm_")


def without_utm(url: str) -> str:
    """`url` with no utm_* parameter: an image is never a campaign's landing page, and tracking on its
    URL only defeats caches. A URL without one comes back byte for byte, and so does the rest of the
    query of one that had some."""
    parts = split(url)
    if parts is None or not has_utm(url):
        return url
    kept = [piece for piece in parts.query.split("&") if not _is_utm(piece)]
    return urlunsplit(parts._replace(query="&".join(kept)))


def file_part(ref: str) -> tuple[str, str]:
    """The file a reference names, as a browser reads a URL: up to its '?' or '#', percent-decoded
    (`my%20photo.jpg` is `my photo.jpg`); and, when something was dropped, the note that says so."""
    cut = min((i for i in (ref.find("?"), ref.find("#")) if i >= 0), default=len(ref))
    rest = ref[cut:]
    note = (
        f" (the '{rest}' after the file name is not part of it: a file name ends at '?' or '#')"
        if rest
        else ""
    )
    return unquote(ref[:cut]), note
