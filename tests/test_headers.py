"""Header injection by every route, read back the way a mail reader reads it (issue 14, part 1)."""

from __future__ import annotations

import shutil
import socket
from email import message_from_bytes, policy
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from conftest import SETTINGS, TEMPLATES
from eml_checks import check_eml
from test_send import Inbox, _free_port, _point_at

from newsletter.email import headers

# Projects here use the packaged templates (templates/ empty, as `newsletter init` leaves it): no test
# here edits a template it did not write, and copies would be compiled again (see tests/conftest.py).


WEEK = "2026-W42"
INJECTIONS = [
    "=?utf-8?q?Hi=0AFrom:_Evil_<evil@evil.example>?=",
    "=?UTF-8?B?SGkKQmNjOiBldmlsQGV2aWwuZXhhbXBsZQ==?=",
    "Weekly =?utf-8?q?news=0D=0A=0D=0A<p>body</p>?= and more",
    "=?utf-8?q?=0D=0A?= " * 12,
]


def _eml(project, cli, title: str, *args: str):
    project.post("2026-10-14-x.md", f'---\ntitle: "{title}"\ndate: 2026-10-14\n---\n\nBody.\n')
    result = cli("--project", project.root, "build", *args)
    assert result.exit_code == 0, result.output
    data = (project.build / WEEK / "email.eml").read_bytes()
    check_eml(data)
    return message_from_bytes(data, policy=policy.default), data


@pytest.mark.parametrize(
    "title", [INJECTIONS[0], *(pytest.param(t, marks=pytest.mark.slow) for t in INJECTIONS[1:])]
)
def test_encoded_word_titles_reach_the_reader_as_literal_text(project, cli, title):
    message, data = _eml(project, cli, title)
    assert message["Subject"] == " ".join(title.split())
    assert message.get_all("From") == ["Via Skincare <hello@viaskincare.com>"]
    assert b"evil@evil.example>" not in data.split(b"\r\n\r\n")[0]


@pytest.mark.slow
def test_a_300_character_display_name_folds_within_78_characters(project, cli):
    for name in ("Via Skincare Studio " * 15, "Ü" * 300, "V" * 300, 'Dr. "Skin" Care, ' * 17):
        name = name[:300].strip()
        quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        project.settings(text=SETTINGS.replace("from = Via Skincare", f"from = {quoted}"))
        message, data = _eml(project, cli, "Hello")
        assert _display_name(data) == name
        assert message["From"].addresses[0].addr_spec == "hello@viaskincare.com"
        assert max(len(line) for line in data.split(b"\r\n\r\n")[0].split(b"\r\n")) <= 78


def _display_name(data: bytes) -> str:
    """RFC 2047 reading: whitespace between adjacent encoded-words is dropped. (policy.default keeps it
    inside a phrase, even for a name that Python folded itself, so it cannot judge a long name.)"""
    raw = message_from_bytes(data)["From"].replace("\r\n", "").replace("\n", "")  # compat32, unfolded
    name = raw.rsplit("<", 1)[0].strip()
    decoded = str(make_header(decode_header(name)))
    return decoded[1:-1].replace('\\"', '"') if decoded.startswith('"') else decoded


@pytest.mark.slow
def test_bidi_and_zero_width_leave_the_subject_but_emoji_joiners_stay(project, cli):
    message, _ = _eml(project, cli, "Invoice \\u202egnp.exe\\u202c paid\\u200b \\U0001F469\\u200d\\U0001F467")
    assert message["Subject"] == "Invoice gnp.exe paid \U0001f469\u200d\U0001f467"


def test_header_values_are_never_parsed_by_the_email_package():
    """The unit under the routes: whatever the text, one header comes out, decoding to the cleaned text."""
    for text in [*INJECTIONS, "a\r\nBcc: x@y.z", "a\x85b\u2028c\u2029d\x0be\x0cf", "é" * 200, "x" * 200]:
        value = headers.unstructured("Subject", text)
        raw = f"Subject: {value}\r\nFrom: a@b.example\r\n\r\nbody".encode()
        check_eml(raw)
        assert message_from_bytes(raw, policy=policy.default)["Subject"] == headers.clean(text)


@pytest.mark.slow
def test_send_to_a_list_delivers_to_every_address_and_names_them(sample, cli):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        _point_at(sample, controller.port)
        result = cli("--project", sample.root, "send", "--to", 'a@example.com, "Doe, Jo" <jo@example.org>',
                     "--to", "c@example.net", "--to", "A@example.com")  # fmt: skip
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        'Sent 2026-W42 "Facial Massage and Tissue Regeneration + 1 more" as a test to a@example.com, '
        f"jo@example.org, c@example.net via 127.0.0.1:{controller.port} (no TLS)\n"
    )
    ((_, rcpts, raw),) = inbox.messages
    assert rcpts == ["a@example.com", "jo@example.org", "c@example.net"]
    check_eml(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    received = message_from_bytes(raw, policy=policy.default)
    assert [a.addr_spec for a in received["To"].addresses] == rcpts


class _RefusingInbox(Inbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.mark.slow
def test_send_says_which_recipients_the_server_refused(sample, cli):
    inbox = _RefusingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        _point_at(sample, controller.port)
        some = cli("--project", sample.root, "send", "--to", "a@example.com, nobody@example.com")
        none = cli("--project", sample.root, "send", "--to", "nobody@example.com")
    finally:
        controller.stop()
    server = f"smtp 127.0.0.1:{controller.port}"
    assert some.exit_code == 1
    assert some.stderr == (
        f"{server}: the server refused 'nobody@example.com' (550 5.1.1 no such user); sent only to a@example.com\n"
    )
    assert none.exit_code == 1
    assert none.stderr == (
        f"{server}: the server refused 'nobody@example.com' (550 5.1.1 no such user); nothing was sent\n"
    )
    assert [rcpts for _, rcpts, _ in inbox.messages] == [["a@example.com"]]


def test_an_escaped_css_import_in_a_template_opens_no_socket(project, cli, monkeypatch):
    """cssutils reads '@\\import' as @import and fetches it even with allow_network=False."""
    attempts: list = []

    def record(self, address):
        attempts.append(address)
        raise ConnectionRefusedError("the test blocks it")

    monkeypatch.setattr(socket.socket, "connect", record)
    monkeypatch.setattr(socket.socket, "connect_ex", record)
    template = project.root / "templates" / "email.html"
    shutil.copy(TEMPLATES / "email.html", template)  # the project's own copy, edited
    css = "<style>@\\import url(http://127.0.0.9:9/a.css); @\\69 mport 'http://127.0.0.9:9/b.css';</style>"
    template.write_text(template.read_text(encoding="utf-8").replace("</head>", css + "</head>", 1))
    project.post("2026-10-14-x.md", "---\ntitle: X\ndate: 2026-10-14\n---\n\nBody.\n")
    result = cli("--project", project.root, "build", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert attempts == []
    assert "127.0.0.9" not in (project.build / WEEK / "email.html").read_text(encoding="utf-8")


def test_premailer_alone_would_fetch_the_escaped_import(monkeypatch):
    """The control for the test above: the hole is real, so the test above can fail."""
    from premailer import Premailer

    attempts: list = []

    def record(self, address):
        attempts.append(address)
        raise ConnectionRefusedError("the test blocks it")

    monkeypatch.setattr(socket.socket, "connect", record)
    html = "<html><head><style>@\\import url(http://127.0.0.9:9/a.css);</style></head><body>x</body></html>"
    Premailer(html, allow_network=False, cssutils_logging_level=50).transform()
    assert attempts


@pytest.mark.parametrize(
    ("epoch", "ok"),
    [
        pytest.param("0", True, marks=pytest.mark.slow),
        pytest.param("253402300799", True, marks=pytest.mark.slow),
        ("253402300800", False),
        pytest.param("-1", False, marks=pytest.mark.slow),
        pytest.param("1e9", False, marks=pytest.mark.slow),
    ],
)
def test_source_date_epoch_is_used_or_refused_cleanly(project, cli, monkeypatch, epoch, ok):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    project.post("2026-10-14-x.md", "---\ntitle: X\ndate: 2026-10-14\n---\n\nBody.\n")
    result = cli("--project", project.root, "build", "--no-cache")
    assert result.exit_code == (0 if ok else 1), result.output
    if not ok:
        assert result.stderr == (
            f"SOURCE_DATE_EPOCH: expected whole seconds since 1970 from 0 to 253402300799, got '{epoch}'\n"
        )


@pytest.mark.slow
def test_check_reports_an_unparseable_link_without_a_traceback(project, cli):
    project.post("2026-10-14-x.md", "---\ntitle: X\ndate: 2026-10-14\n---\n\nSee [x](http://[oops).\n")
    result = cli("--project", project.root, "check")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "posts/2026-10-14-x.md:6: warning[sanitized]: removed invalid URL 'http://[oops': not allowed in email\n"
    )
