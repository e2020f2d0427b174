"""The preview's HTTP side: pages, files and live-reload streams served on 127.0.0.1 from the current
Snapshot (preview/state.py), rebuilt by the watcher (preview/watcher.py)."""

from __future__ import annotations

import contextlib
import json
import mimetypes
import posixpath
import re
import select
import socket
import sys
import threading
from dataclasses import dataclass, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, cast
from urllib.parse import parse_qs, unquote, urlsplit

from newsletter.check.rules import CLIP_BYTES
from newsletter.email import pictures
from newsletter.errors import NewsletterError, Problem
from newsletter.urls import LOOPBACK

if TYPE_CHECKING:
    pass

from newsletter.preview.state import Preview, Report, Snapshot
from newsletter.preview.watcher import watch

# Each event says "GENERATION PAGES WHOLE": an issue page (its email, text part and size) updates when
# PAGES changes, every other page when WHOLE does. A save is swapped in twice, its email first (PAGES and
# GENERATION change), then its captions (GENERATION and WHOLE), so every page updates once per save: the
# issue page as soon as its email is made, the others when what they show (captions, the archive) is.
# A page whose template marks parts `data-live` (each with an id) is patched in place: the page is
# fetched again and those parts swapped, and a `data-live-frame` iframe is reloaded where it is, so the
# reader keeps the scroll position and the toggles (mobile width, dark mode) across saves, and the
# browser skips a whole navigation (about half of a save's time on the sample). Any other page, or a
# new page whose live parts differ from the open one's (an error appeared, the issue is gone), reloads.
RELOAD_SCRIPT = """<script>
(function () {
  var seen = %d, field = %d, busy = false, again = false;
  var live = function (doc) { return Array.prototype.map.call(doc.querySelectorAll("[data-live]"), function (e) { return e.id; }).join(" "); };
  function update() {
    if (busy) { again = true; return; }
    var mine = live(document);
    if (!mine) { location.reload(); return; }
    busy = true;
    document.querySelectorAll("iframe[data-live-frame]").forEach(function (frame) {
      try { frame.contentWindow.location.reload(); } catch (e) { frame.src = frame.src; }
    });
    fetch(location.href, { cache: "no-store" }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.text();
    }).then(function (html) {
      var next = new DOMParser().parseFromString(html, "text/html");
      if (live(next) !== mine) { location.reload(); return; }
      document.title = next.title;
      document.querySelectorAll("[data-live]").forEach(function (part) {
        part.replaceWith(document.importNode(next.getElementById(part.id), true));
      });
      busy = false;
      if (again) { again = false; update(); }
    }).catch(function () { location.reload(); });
  }
  var source = new EventSource("/_events");
  source.onmessage = function (event) {
    var now = Number(event.data.split(" ")[field]);
    if (now !== seen) { seen = now; update(); }
  };
})();
</script>"""


# Handler side ------------------------------------------------------------------------------------------
MAX_CONNECTIONS = 32  # page and file requests at once; more than this is a runaway client
# Live-reload streams (one per open tab, held open for as long as the tab) have slots of their own: a
# stream gives its connection slot back, so open tabs never starve the pages. A stream beyond the cap is
# told to retry later (an EventSource gives up for good on a 503, and reconnects on `retry:`).
MAX_STREAMS = 16
STREAM_RETRY_MS = 15_000
STREAM_POLL = 1.0  # seconds between checks that a stream's client is still there
KEEP_ALIVE = 15.0  # seconds of quiet before a comment line keeps proxies from closing the stream
CONNECTION_TIMEOUT = 20.0  # seconds a client may take to send a request or read a response
# A browser closing a tab or a slow client timing out: routine for a preview, not worth a traceback.
DISCONNECTS = (ConnectionError, TimeoutError)


class _Slot:
    """One held place in a semaphore, given back once however many times it is released."""

    def __init__(self, semaphore: threading.BoundedSemaphore):
        self.semaphore, self.held = semaphore, True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.semaphore.release()


class PreviewServer(ThreadingHTTPServer):
    """One thread per connection, at most MAX_CONNECTIONS at once (the rest get 503 and are closed),
    plus at most MAX_STREAMS live-reload streams; IPv6 when the host is an IPv6 address; client
    disconnects are silent."""

    daemon_threads = True

    def __init__(self, address, handler):
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self.streams = threading.BoundedSemaphore(MAX_STREAMS)
        self.held: dict[socket.socket, _Slot] = {}  # each connection's slot, until its thread ends
        super().__init__(address, handler)

    def process_request(self, request, client_address) -> None:
        if not self.slots.acquire(blocking=False):
            _refuse(request)
            self.shutdown_request(request)
            return
        self.held[request] = _Slot(self.slots)
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.held.pop(request).release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.held.pop(request).release()

    def become_stream(self, request) -> bool:
        """Move a connection from a page slot to a stream slot; False when every stream slot is taken."""
        if not self.streams.acquire(blocking=False):
            return False
        self.held[request].release()
        self.held[request] = _Slot(self.streams)
        return True

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], DISCONNECTS):
            return
        super().handle_error(request, client_address)


class PreviewServer6(PreviewServer):
    address_family = socket.AF_INET6


def _refuse(request: socket.socket) -> None:
    try:
        request.settimeout(1)
        request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    except OSError:
        pass


def make_server(preview: Preview, host: str, port: int) -> ThreadingHTTPServer:
    if not 0 <= port <= 65535:
        raise NewsletterError(f"--port: expected a port from 1 to 65535, got {port}")
    handler = type("Handler", (PreviewHandler,), {"preview": preview})
    server_class = PreviewServer6 if ":" in host else PreviewServer
    try:
        server = server_class((host.strip("[]"), port), handler)
    except OSError as exc:
        raise NewsletterError(
            f"{host}:{port}: cannot listen: {exc.strerror}; is another preview running? try --port {port + 1}"
        ) from None
    return server


class PreviewHandler(BaseHTTPRequestHandler):
    preview: Preview
    server_version = "newsletter-preview"
    timeout = CONNECTION_TIMEOUT  # applied to the socket: a silent client cannot hold a thread forever
    head_only = False

    def log_message(self, format: str, *args) -> None:  # the terminal shows rebuilds, not every request
        pass

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except DISCONNECTS:  # the browser went away mid-response: nothing to answer, nothing to print
            self.close_connection = True

    def do_HEAD(self) -> None:
        """GET without the body: same status and headers (the event stream ends after its headers)."""
        self.head_only = True
        try:
            self.do_GET()
        finally:
            self.head_only = False

    def do_GET(self) -> None:
        if not self._host_allowed():
            return self._send(HTTPStatus.MISDIRECTED_REQUEST, b"unknown Host header", "text/plain")
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        if "\x00" in path or "\\" in path or ".." in path.split("/"):
            return self._not_found()
        snap = self.preview.snapshot
        routes = [
            (r"/", lambda m: self._page(snap, "home.html")),
            (r"/issue/([\w-]+)/", lambda m: self._page(snap, "issue.html", week=m.group(1))),
            (r"/social/([\w-]+)/", lambda m: self._page(snap, "social.html", slug=m.group(1))),
            (r"/build/(.+)", lambda m: self._file(snap, m.group(1), parse_qs(parts.query))),
            (r"/_events", lambda m: self._events(snap)),
            (
                r"/_status",
                lambda m: self._json(
                    {"generation": snap.generation, "error": snap.error, "complete": self.preview.complete}
                ),
            ),
        ]
        for pattern, route in routes:
            if match := re.fullmatch(pattern, path):
                return route(match)
        return self._not_found()

    def _host_allowed(self) -> bool:
        """Refuse foreign Host headers: a DNS-rebinding page must not read the preview."""
        host = self.headers.get("Host", "")
        address = cast(tuple, self.server.server_address)  # (host, port[, flow, scope]): never a Unix path
        bound, port = str(address[0]), address[1]
        names = {*LOOPBACK, "[::1]", bound, f"[{bound}]"}
        return host in names or host in {f"{name}:{port}" for name in names}

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not self.head_only:
            self.wfile.write(body)

    def _not_found(self) -> None:
        self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain; charset=utf-8")

    def _json(self, data: dict) -> None:
        self._send(HTTPStatus.OK, json.dumps(data).encode(), "application/json")

    def _page(self, snap: Snapshot, template: str, **context) -> None:
        if snap.renderer is None:  # no good build yet: the overlay is all there is
            body = _bare_error_page(snap)
        else:
            try:
                page = snap.renderer.render(f"preview/{template}", **_context(snap, **context))
            except _NotFound:  # a post or week gone (or not built yet): the page comes back with it
                return self._live(HTTPStatus.NOT_FOUND, snap, template, _not_found_page(snap))
            except NewsletterError as exc:  # a broken preview template: say so instead of a blank page
                page = _bare_error_page(replace(snap, error=exc.format_message()))
            body = page
        self._live(HTTPStatus.OK, snap, template, body)

    def _live(self, status: int, snap: Snapshot, template: str, body: str) -> None:
        """A page with the reload script: an issue page follows its issue's changes, any other the saves."""
        issue = template == "issue.html"
        script = RELOAD_SCRIPT % ((snap.pages, 1) if issue else (snap.whole, 2))
        body = body.replace("</body>", script + "\n</body>", 1)
        self._send(status, body.encode("utf-8"), "text/html; charset=utf-8")

    def _file(self, snap: Snapshot, relative: str, query: dict) -> None:
        name = posixpath.normpath(relative)
        data = snap.files.get(name)
        if data is None:
            return self._not_found()
        if callable(data):  # a LazyCard: drawn on first request, then kept by the snapshot
            with snap.memo.active() if snap.memo is not None else contextlib.nullcontext():
                data = data()  # under the run's memo: fonts and glyphs loaded once for every card
        if name.endswith(".html") and snap.settings is not None and snap.settings.archive_url:
            data = _local_images(data, snap.settings.archive_url)
        if query.get("dark") == ["1"] and name.endswith(".html"):
            # Show the dark-mode rules without an OS switch: make the media query always match.
            data = data.replace(b"@media (prefers-color-scheme: dark)", b"@media all")
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self._send(HTTPStatus.OK, data, kind + ("; charset=utf-8" if kind.startswith("text/") else ""))

    def _events(self, snap: Snapshot) -> None:
        """Server-Sent Events: the build generation, sent again after every rebuild."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.head_only:
            return
        self.close_connection = True
        generation = snap.generation
        event = lambda snapshot: f"data: {snapshot.generation} {snapshot.pages} {snapshot.whole}\n\n".encode()  # noqa: E731
        try:
            if not self.server.become_stream(self.request):  # type: ignore[attr-defined]
                self.wfile.write(f"retry: {STREAM_RETRY_MS}\n\n".encode())  # all stream slots taken
                return
            self.wfile.write(event(snap))
            self.wfile.flush()
            quiet = 0.0
            while not self._client_gone():  # a closed tab frees its stream slot within a second
                self.preview.wait(generation, timeout=STREAM_POLL)
                latest = self.preview.snapshot
                quiet = 0.0 if latest.generation != generation else quiet + STREAM_POLL
                if latest.generation != generation or quiet >= KEEP_ALIVE:
                    changed = latest.generation != generation
                    self.wfile.write(event(latest) if changed else b": keep-alive\n\n")
                    self.wfile.flush()
                    quiet, generation = 0.0, latest.generation
        except DISCONNECTS:
            return

    def _client_gone(self) -> bool:
        """The other end closed (readable, and a peek finds nothing): an EventSource sends nothing."""
        readable, _, _ = select.select([self.connection], [], [], 0)
        if not readable:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True


class _NotFound(Exception):
    """An issue or post the current build does not have."""


def _local_images(page: bytes, archive_url: str) -> bytes:
    """An issue's local images are linked where the archive will publish them; the preview serves
    them from the build it holds, so a picture shows before anything is published."""
    prefix = re.escape(archive_url.encode() + b"/")
    suffixes = "|".join(pictures.SUFFIXES).encode()  # whatever the picture pipeline writes, the logo's too
    return re.sub(prefix + rb"(\d{4}-W\d{2}/images/[\w-]+\.(?:" + suffixes + rb"))", rb"/build/\1", page)


def _context(snap: Snapshot, week: str = "", slug: str = "") -> dict:
    """What a preview page's template sees: plain data (the renderer makes each value so). The list of
    every issue and every warning is the home page's alone: made plain for an issue page too, it cost
    40 ms a reload at 1,000 posts."""
    issues = snap.issues
    posts = {p.slug: p for outputs in issues.values() for p in outputs.issue.posts}
    if (week and week not in issues) or (slug and slug not in posts):
        raise _NotFound(week or slug)
    outputs = issues.get(week)
    # Between a save's two steps its captions are still being made: a page says so, not "0 captions"
    state: dict[str, object] = {"error": snap.error, "generation": snap.generation,
                                "captioning": snap.whole != snap.generation}  # fmt: skip
    context: dict[str, object] = {
        "snap": state,
        "issue": outputs.issue if outputs else None,
        "post": posts.get(slug),
        "captions": [c for o in issues.values() for c in o.captions if c.post == slug] if slug else [],
        "text_part": outputs.text if outputs else "",
        "size": outputs.size if outputs else 0,
        "budget": CLIP_BYTES,
    }
    if not (week or slug):  # the home page
        state["warnings"] = [str(w) for w in snap.warnings]
        context["issues"] = [o.issue for o in reversed(list(issues.values()))]
        context["warnings_by_source"] = _count(snap.warnings)
    return context


def _count(warnings: tuple[Problem, ...]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for warning in warnings:
        counts[warning.where] = counts.get(warning.where, 0) + 1
    return counts


def _not_found_page(snap: Snapshot) -> str:
    """A page of a post or week not in the current build; with the last rebuild's error, when it failed
    (a save restoring the post may be what broke)."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Preview: not found</title>'
        f'<link rel="icon" href="data:,"></head><body>{_overlay(snap) if snap.error else ""}<h1>Not found</h1>'
        "<p>Nothing here in the current build: this page shows again when a save brings it back. "
        '<a href="/">All issues</a></p></body></html>'
    )


def _bare_error_page(snap: Snapshot) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Preview: build failed</title>'
        f'<link rel="icon" href="data:,"></head><body>{_overlay(snap)}</body></html>'
    )


def _overlay(snap: Snapshot) -> str:
    import html

    error = html.escape(snap.error or "building…")
    # wrapped: a long warning line would run off the page (these pages have no stylesheet)
    return f'<div id="error-overlay" role="alert"><h1>Build failed</h1><pre style="white-space:pre-wrap">{error}</pre></div>'


@dataclass
class Running:
    """A started preview: the server (not yet serving), its build state and the watcher's stop switch."""

    server: ThreadingHTTPServer
    preview: Preview
    stop: threading.Event

    @property
    def url(self) -> str:
        address = cast(tuple, self.server.server_address)
        host, port = str(address[0]), address[1]
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"

    def close(self) -> None:
        self.stop.set()
        self.server.server_close()
        self.preview.close()


def start(root: Path, host: str, port: int, report: Report, drafts: bool = False) -> Running:
    """Listen, build the latest issue, start watching and building the rest; the caller runs
    server.serve_forever()."""
    preview = Preview(root, report, drafts)
    try:
        server = make_server(preview, host, port)
    except NewsletterError:
        preview.close()
        raise
    running = Running(server, preview, threading.Event())
    preview.rebuild(latest_first=True)  # a large archive: the latest issue is served first
    watching = threading.Event()  # set once the watches are in place: a save right after is seen
    threading.Thread(target=watch, args=(preview, running.stop, watching), daemon=True).start()
    watching.wait(timeout=2)
    if not preview.complete and not preview.snapshot.error:  # the rest, while the latest is served
        threading.Thread(target=preview.rebuild, daemon=True).start()
    if "newsletter.email.inline" not in sys.modules:  # the first build rendered in worker processes only
        threading.Thread(target=preview.warm, daemon=True).start()
    return running


def serve(root: Path, host: str, port: int, open_browser: bool, report: Report, drafts: bool = False) -> None:
    """Runs until interrupted (Ctrl-C raises KeyboardInterrupt to the caller)."""
    running = start(root, host, port, report, drafts)
    try:
        report(f"Serving {running.url} (Ctrl-C to stop)", False)
        if open_browser:
            import webbrowser

            webbrowser.open(running.url)
        running.server.serve_forever(poll_interval=0.2)
    finally:
        running.close()
