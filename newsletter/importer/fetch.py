"""The importer's only network code: one GET of a URL the user named (or of a page or image that URL
leads to), http(s) only, with a timeout, a size cap and a limit on redirects.

Built on urllib's OpenerDirector with only the HTTP handlers installed, so no other scheme (file:, ftp:,
data:) can be reached, not even through a redirect; every hop of a redirect is checked against the
caller's host rule before it is followed."""

from __future__ import annotations

import email.message
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from newsletter import __version__
from newsletter.errors import NewsletterError

TIMEOUT = 15.0  # seconds for the whole response, connection included
MAX_BYTES = 5 * 1024 * 1024  # a page or feed; an article page is rarely a tenth of this
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 5
USER_AGENT = f"newsletter-import/{__version__} (+https://pypi.org/project/newsletter/)"
_CHUNK = 64 * 1024

HostRule = Callable[[str], str]  # url -> "" when it may be fetched, else why not


@dataclass(frozen=True)
class Response:
    url: str  # the final URL, after redirects: relative links resolve against it
    content_type: str  # e.g. "text/html", lower case, without parameters
    charset: str  # from the Content-Type header, "" when it names none
    headers: dict[str, str]
    body: bytes


class FetchError(NewsletterError):
    """A source that could not be fetched; the message says why and names no other source."""


def check_url(url: str) -> str:
    """'' for an http(s) URL with a host, else what is wrong with it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"only http and https URLs are fetched, not '{parts.scheme}:'"
    if not parts.hostname:
        return "the URL has no host"
    return ""


def same_host(base: str) -> HostRule:
    """Only URLs on `base`'s host (a feed's entry pages, with their redirects)."""
    host = (urlsplit(base).hostname or "").lower()

    def rule(url: str) -> str:
        other = (urlsplit(url).hostname or "").lower()
        return "" if other == host else f"it is on {other}, not on the feed's host {host}"

    return rule


def any_host(url: str) -> str:
    return ""


def get(url: str, allowed: HostRule = any_host, max_bytes: int = 0, accept: str = "") -> Response:
    """GET `url`; FetchError (with the reason) on a bad scheme, a refused host, an HTTP error, a
    timeout, too many redirects or a body over `max_bytes`."""
    for check in (check_url, allowed):
        if problem := check(url):
            raise FetchError(problem)
    max_bytes = max_bytes or MAX_BYTES
    opener = _opener(allowed)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": accept or "*/*"})
    deadline = time.monotonic() + TIMEOUT
    try:
        with opener.open(request, timeout=TIMEOUT) as answer:
            body = _read(answer, max_bytes, deadline)
            return _response(answer.geturl(), answer.headers, body)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"the server answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise FetchError(f"no complete answer within {TIMEOUT:g} s") from None
        reason = exc.reason if isinstance(exc.reason, str) else _os_reason(exc.reason)
        raise FetchError(f"cannot be fetched: {reason}") from None
    except TimeoutError:
        raise FetchError(f"no complete answer within {TIMEOUT:g} s") from None
    except OSError as exc:
        raise FetchError(f"cannot be fetched: {_os_reason(exc)}") from None


def _os_reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _opener(allowed: HostRule) -> urllib.request.OpenerDirector:
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),  # honours http_proxy/https_proxy as every other tool does
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        _Redirects(allowed),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS
    max_repeats = 2

    def __init__(self, allowed: HostRule):
        self.allowed = allowed

    def http_error_302(self, req, fp, code, msg, headers):
        # Checked here, before urllib's own scheme test (which would let ftp: through)
        newurl = urljoin(req.full_url, headers.get("location") or headers.get("uri") or "")
        for check in (check_url, self.allowed):
            if problem := check(newurl):
                raise FetchError(f"redirected to {newurl}, which is not followed: {problem}")
        try:
            return super().http_error_302(req, fp, code, msg, headers)
        except urllib.error.HTTPError as exc:
            if "redirect" in str(exc.reason):  # urllib's "redirect loop" / too many redirections
                raise FetchError(f"more than {MAX_REDIRECTS} redirects") from None
            raise

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _read(answer, max_bytes: int, deadline: float) -> bytes:
    declared = answer.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"is {int(declared):,} bytes; the limit is {max_bytes:,}")
    chunks, size = [], 0
    while chunk := answer.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"is over {max_bytes:,} bytes, the limit")
        if time.monotonic() > deadline:
            raise FetchError(f"no complete answer within {TIMEOUT:g} s")
        chunks.append(chunk)
    return b"".join(chunks)


def _response(url: str, headers: email.message.Message, body: bytes) -> Response:
    content_type = headers.get_content_type().lower() if headers.get("Content-Type") else ""
    charset = headers.get_content_charset() or ""
    return Response(url, content_type, charset, {k.lower(): v for k, v in headers.items()}, body)
