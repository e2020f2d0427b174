"""`newsletter send` against a real SMTP server on 127.0.0.1 (aiosmtpd); never a real one."""

from __future__ import annotations

import re
import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from conftest import GOOD_POST, SETTINGS

# Projects here use the packaged templates (templates/ empty, as `newsletter init` leaves it): no test
# here edits a template it did not write, and copies would be compiled again (see tests/conftest.py).


WEEK = "2026-W42"
PLACEHOLDER = "https://viaskincare.com/merge-tag-placeholder/UNSUB"


def _fast_first(count: int, rows: list) -> list:
    """The first `count` rows run in the everyday loop; the others prove the same for other inputs and
    run in the full suite only (marked slow)."""
    made = [r if isinstance(r, tuple) else (r,) for r in rows]
    return [*made[:count], *(pytest.param(*r, marks=pytest.mark.slow) for r in made[count:])]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.original_content))
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def _point_at(project, port: int, extra: str = "", starttls: bool = False) -> None:
    """At the local test server, which has no STARTTLS: smtp_starttls = false, as its README says."""
    tls = "" if starttls else "smtp_starttls = false\n"
    project.settings(extra=f"smtp_host = 127.0.0.1\nsmtp_port = {port}\n{tls}{extra}")


def test_send_delivers_the_built_message(sample, cli, smtp_server):
    controller, inbox = smtp_server
    _point_at(sample, controller.port)
    assert cli("--project", sample.root, "build").exit_code == 0
    result = cli("--project", sample.root, "send", "--to", "tester@example.com")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f'Sent 2026-W42 "Facial Massage and Tissue Regeneration + 1 more" as a test to tester@example.com '
        f"via 127.0.0.1:{controller.port} (no TLS)\n"
    )
    ((sender, rcpts, raw),) = inbox.messages
    assert sender == "hello@viaskincare.com" and rcpts == ["tester@example.com"]
    received = message_from_bytes(raw, policy=policy.default)
    built = message_from_bytes((sample.build / WEEK / "email.eml").read_bytes(), policy=policy.default)
    assert received["Subject"] == "[TEST] " + built["Subject"]
    assert received["To"] == "tester@example.com"
    for header in ("From", "Reply-To", "List-Unsubscribe-Post"):
        assert received[header] == built[header]
    # The same parts, but no ESP fills in the test copy's merge tags: they point at a placeholder.
    assert (built["List-Unsubscribe"], received["List-Unsubscribe"]) == ("<*|UNSUB|*>", f"<{PLACEHOLDER}>")
    assert received.get_body(("plain",)).get_content() == built.get_body(("plain",)).get_content().replace(
        "Unsubscribe: *|UNSUB|*", f"Unsubscribe: {PLACEHOLDER}"
    )
    assert received.get_body(("html",)).get_content() == built.get_body(("html",)).get_content().replace(
        'href="*|UNSUB|*"', f'href="{PLACEHOLDER}"'
    )
    # A test copy is dated when it is sent (it sorts at the top of the inbox); the .eml keeps its date.
    assert built["Date"] == "Sat, 17 Oct 2026 00:00:00 -0700"
    assert received["Date"] == "Sun, 22 Nov 2026 12:00:00 -0800"  # NEWSLETTER_NOW, in the site's zone


@pytest.mark.slow
def test_several_recipients_are_all_delivered_and_named(sample, cli, smtp_server):
    controller, inbox = smtp_server
    _point_at(sample, controller.port)
    result = cli(
        "--project", sample.root, "send", "--to", "a@example.com", "--to", "b@example.com, c@example.com"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f'Sent 2026-W42 "Facial Massage and Tissue Regeneration + 1 more" as a test to a@example.com, '
        f"b@example.com, c@example.com via 127.0.0.1:{controller.port} (no TLS)\n"
    )
    ((_, rcpts, _),) = inbox.messages
    assert rcpts == ["a@example.com", "b@example.com", "c@example.com"]


@pytest.mark.slow
def test_dry_run_prints_a_readable_summary_and_sends_nothing(sample, cli, smtp_server):
    controller, inbox = smtp_server
    _point_at(sample, controller.port)
    result = cli("--project", sample.root, "send", "--to", "tester@example.com", "--dry-run")
    assert result.exit_code == 0, result.output
    raw = cli("--project", sample.root, "send", "--to", "tester@example.com", "--dry-run", "--raw").stdout
    message = message_from_bytes(raw.encode(), policy=policy.default)
    head, text = result.stdout.split("\nText part:\n\n")
    head = re.sub(r"<test\.\d+\.[0-9a-f]+@", "<test.ID@", head)  # 48 random bits a send
    assert head.splitlines()[:11] == [
        f"Dry run, nothing sent: the test message is {len(raw.replace(chr(10), chr(13) + chr(10))) / 1024:.1f} "
        "KB as sent.",
        "",
        "From: Via Skincare <hello@viaskincare.com>",
        "Reply-To: hello@viaskincare.com",
        "To: tester@example.com",
        "Subject: [TEST] Facial Massage and Tissue Regeneration + 1 more",
        "Date: Sun, 22 Nov 2026 12:00:00 -0800",
        "Message-ID: <test.ID@viaskincare.com>",
        f"List-Unsubscribe: <{PLACEHOLDER}>",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "",
    ]
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert head.splitlines()[11:] == [
        "Parts:",
        "- multipart/alternative",
        f"  - text/plain: {len(plain.replace(chr(10), chr(13) + chr(10)).encode()) / 1024:.1f} KB",
        f"  - text/html: {len(html.replace(chr(10), chr(13) + chr(10)).encode()) / 1024:.1f} KB",
    ]  # the decoded bytes of each part, with the CRLF line ends they are sent with
    assert text == plain.replace("\r\n", "\n").rstrip("\n") + "\n\n(--raw prints the message as sent)\n"
    assert "=\n" not in result.stdout and "Content-Transfer-Encoding" not in result.stdout  # decoded
    assert "Content-Transfer-Encoding: quoted-printable" in raw
    assert inbox.messages == []


def test_raw_goes_with_dry_run(sample, cli):
    result = cli("--project", sample.root, "send", "--to", "tester@example.com", "--raw")
    assert result.exit_code == 2
    assert "--raw goes with --dry-run" in result.stderr


@pytest.mark.slow
def test_starttls_required_but_not_offered_sends_nothing(sample, cli, smtp_server):
    controller, inbox = smtp_server
    _point_at(sample, controller.port, starttls=True)  # smtp_starttls = true (the default), no TLS there
    result = cli("--project", sample.root, "send", "--to", "tester@example.com")
    assert result.exit_code == 1
    assert result.stderr == (
        f"smtp 127.0.0.1:{controller.port}: the server does not offer STARTTLS and smtp_starttls = true in "
        "setup.cfg, so nothing was sent; use the server's submission port (587) or its TLS settings, or set "
        "smtp_starttls = false for a local test server that has none\n"
    )
    assert inbox.messages == []


def test_connection_refused_is_a_clear_error(sample, cli):
    port = _free_port()
    _point_at(sample, port)
    result = cli("--project", sample.root, "send", "--to", "tester@example.com")
    assert result.exit_code == 1
    assert result.stderr == (
        f"smtp 127.0.0.1:{port}: connection refused; is the server running? check smtp_host and smtp_port\n"
    )


def _reject_all(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=False, handled=False)


@pytest.mark.slow
def test_auth_failure_is_a_clear_error(sample, cli, monkeypatch):
    controller = Controller(Inbox(), hostname="127.0.0.1", port=_free_port(),
                            authenticator=_reject_all, auth_require_tls=False)  # fmt: skip
    controller.start()
    try:
        _point_at(sample, controller.port, "smtp_user = studio\n")
        monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", "wrong")
        result = cli("--project", sample.root, "send", "--to", "tester@example.com")
    finally:
        controller.stop()
    assert result.exit_code == 1
    assert result.stderr == (
        f"smtp 127.0.0.1:{controller.port}: authentication failed (535); check smtp_user in setup.cfg "
        "and NEWSLETTER_SMTP_PASSWORD\n"
    )


@pytest.mark.slow
def test_password_comes_only_from_the_environment(sample, cli, smtp_server, monkeypatch):
    controller, _ = smtp_server
    _point_at(sample, controller.port, "smtp_user = studio\n")
    monkeypatch.delenv("NEWSLETTER_SMTP_PASSWORD", raising=False)
    result = cli("--project", sample.root, "send", "--to", "tester@example.com")
    assert result.exit_code == 1
    assert "smtp_user is set but NEWSLETTER_SMTP_PASSWORD is not; export it first" in result.stderr


def test_a_malformed_to_is_a_usage_error_and_too_many_addresses_exit_1(sample, cli):
    """Review 15: the README says a malformed argument exits 2; `--to bad` exited 1."""
    for value in ("bad", "a@b.c\nBcc: x@y.z", " , "):
        bad = cli("--project", sample.root, "send", "--to", value, "--dry-run")
        assert bad.exit_code == 2, value
        assert bad.stderr.startswith("Usage: newsletter send [OPTIONS]\n"), value
    bad = cli("--project", sample.root, "send", "--to", "bad", "--dry-run")
    assert bad.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--to': expected an email address (or several, comma-separated), got 'bad': "
        + bad.stderr.splitlines()[-1].split("got 'bad': ", 1)[1]
    )
    many = ", ".join(f"t{n}@example.com" for n in range(51))
    refused = cli("--project", sample.root, "send", "--to", many, "--dry-run")
    assert (refused.exit_code, refused.stderr) == (1, "--to: 51 addresses; a test copy goes to at most 50\n")


@pytest.mark.slow
def test_starttls_is_used_when_the_server_offers_it(sample, cli, tmp_path, monkeypatch):
    import ssl
    import subprocess

    from conftest import require

    openssl = require("openssl", "apt-get install openssl")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), tls_context=context)
    controller.start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate, as a real CA would be
        _point_at(sample, controller.port, starttls=True)
        result = cli("--project", sample.root, "send", "--to", "tester@example.com")
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("(STARTTLS)\n")
    assert len(inbox.messages) == 1


# RFC 5322 msg-id: "<" dot-atom-text "@" dot-atom-text ">" (no folding, no comments inside).
ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
MSG_ID = re.compile(rf"<{ATEXT}(?:\.{ATEXT})*@{ATEXT}(?:\.{ATEXT})*>")


def _sent(inbox, number: int):
    return message_from_bytes(inbox.messages[number][2], policy=policy.default)


@pytest.mark.slow
def test_each_send_gets_a_fresh_message_id_and_date(sample, cli, smtp_server, monkeypatch):
    """Gmail drops a message whose Message-ID it has seen: a second test of an unchanged issue must be a
    new message. The built .eml keeps its stable ID (the file is deterministic)."""
    controller, inbox = smtp_server
    _point_at(sample, controller.port)
    assert cli("--project", sample.root, "build").exit_code == 0
    built = message_from_bytes((sample.build / WEEK / "email.eml").read_bytes(), policy=policy.default)
    for now in ("2026-11-22T12:00:00", "2026-11-22T12:00:00", "2026-11-23T09:30:15"):
        monkeypatch.setenv("NEWSLETTER_NOW", now)
        assert cli("--project", sample.root, "send", "--to", "tester@example.com").exit_code == 0
    ids = [_sent(inbox, n)["Message-ID"] for n in range(3)]
    assert len({*ids, built["Message-ID"]}) == 4  # the same second twice still gives two IDs
    for message_id, stamp in zip(ids, ("20261122200000", "20261122200000", "20261123173015"), strict=True):
        assert MSG_ID.fullmatch(message_id), message_id
        assert re.fullmatch(rf"<test\.{stamp}\.[0-9a-f]{{12}}@viaskincare\.com>", message_id)  # UTC
        assert not message_id.defects
    assert [_sent(inbox, n)["Date"] for n in range(3)] == [
        "Sun, 22 Nov 2026 12:00:00 -0800", "Sun, 22 Nov 2026 12:00:00 -0800", "Mon, 23 Nov 2026 09:30:15 -0800",
    ]  # fmt: skip
    assert cli("--project", sample.root, "build").exit_code == 0
    assert (
        message_from_bytes((sample.build / WEEK / "email.eml").read_bytes())["Message-ID"]
        == built["Message-ID"]
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("tag", "name"),
    _fast_first(
        1,
        [
            ("*|UNSUB|*", "UNSUB"),
            ("{{ unsubscribe_url }}", "unsubscribe_url"),
            ("%unsubscribe_url%", "unsubscribe_url"),
        ],
    ),
)
def test_merge_tags_in_links_become_named_placeholders_in_a_test_copy(project, cli, tag, name):
    """As in a Mailchimp test send, the footer link, List-Unsubscribe and a post's merge-tag links work
    (no ESP replaces them on the way); a merge tag in prose stays; the built .eml keeps the tags."""
    project.settings(text=SETTINGS.replace("*|UNSUB|*", tag))
    project.post(
        "2026-10-14-tags.md",
        "---\ntitle: Tags\ndate: 2026-10-14\n---\n\n"
        "Hello %first_name%, [update your profile](*|UPDATE_PROFILE|*) or [book](https://viaskincare.com/book).\n",
    )
    result = cli("--project", project.root, "send", "--to", "tester@example.com", "--dry-run", "--raw")
    assert result.exit_code == 0, result.output
    sent = message_from_bytes(result.stdout.encode("utf-8"), policy=policy.default)
    unsubscribe = f"https://viaskincare.com/merge-tag-placeholder/{name}"
    profile = "https://viaskincare.com/merge-tag-placeholder/UPDATE_PROFILE"
    assert sent["List-Unsubscribe"].strip() == f"<{unsubscribe}>"  # folded onto a second line if long
    html = sent.get_body(("html",)).get_content()
    assert re.search(rf'<a href="{re.escape(unsubscribe)}" style="[^"]*">Unsubscribe</a>', html)  # no utm_
    assert f'href="{profile}"' in html and "*|UPDATE_PROFILE|*" not in html
    assert "Hello %first_name%," in html and tag not in html
    text = sent.get_body(("plain",)).get_content()
    assert f"Hello %first_name%, update your profile ({profile}) or book\n" in text
    assert f"\nUnsubscribe: {unsubscribe}\n" in text and tag not in text
    assert cli("--project", project.root, "build").exit_code == 0
    built = (project.build / WEEK / "email.eml").read_bytes().decode("utf-8")
    assert f"List-Unsubscribe: <{tag}>" in built and "merge-tag-placeholder" not in built


@pytest.mark.slow
def test_an_unsubscribe_url_that_is_a_real_link_is_sent_as_it_is(project, cli):
    project.settings(text=SETTINGS.replace("*|UNSUB|*", "https://viaskincare.com/unsubscribe"))
    project.post("2026-10-14-good.md", GOOD_POST)
    result = cli("--project", project.root, "send", "--to", "tester@example.com", "--dry-run", "--raw")
    assert result.exit_code == 0, result.output
    sent = message_from_bytes(result.stdout.encode("utf-8"), policy=policy.default)
    assert sent["List-Unsubscribe"] == "<https://viaskincare.com/unsubscribe>"
    assert "merge-tag-placeholder" not in result.stdout


@pytest.mark.slow
def test_the_test_headers_fit_the_longest_host_the_settings_allow(project, cli):
    """A 38-character host: the Message-ID folds before its "<"; the placeholder of a long merge tag
    drops the tag's name so List-Unsubscribe still fits its line."""
    host = "newsletter.studio-with-a-long-name.com"  # 38 characters, the most a built Message-ID fits
    tags = SETTINGS.replace("*|UNSUB|*", "{{ unsubscribe_url }}")
    project.settings(text=tags.replace("https://viaskincare.com", f"https://{host}"))
    project.post("2026-10-14-good.md", GOOD_POST)
    result = cli("--project", project.root, "send", "--to", "tester@example.com", "--dry-run", "--raw")
    assert result.exit_code == 0, result.output
    head = result.stdout.split("\n\n", 1)[0].split("\n")
    at = head.index("Message-ID: ")  # folded before the "<", as RFC 5322 allows
    assert re.fullmatch(rf" <test\.20261122200000\.[0-9a-f]{{12}}@{re.escape(host)}>", head[at + 1])
    assert max(map(len, head)) <= 78
    sent = message_from_bytes(result.stdout.encode(), policy=policy.default)
    assert MSG_ID.fullmatch(sent["Message-ID"].strip())
    placeholder = f"https://{host}/merge-tag-placeholder"
    assert sent["List-Unsubscribe"].strip() == f"<{placeholder}>"
    assert f'<a href="{placeholder}" ' in sent.get_body(("html",)).get_content()
    assert f"\nUnsubscribe:\n{placeholder}\n" in sent.get_body(("plain",)).get_content()
