"""`newsletter send` against a real SMTP server on 127.0.0.1 (aiosmtpd); never a real one."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

WEEK = "2026-W42"


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


def _point_at(project, port: int, extra: str = "") -> None:
    project.settings(extra=f"smtp_host = 127.0.0.1\nsmtp_port = {port}\n{extra}")


def test_send_delivers_the_built_message(sample, cli, smtp_server):
    controller, inbox = smtp_server
    _point_at(sample, controller.port)
    assert cli("--project", sample.root, "build").exit_code == 0
    result = cli("--project", sample.root, "send", "--to", "tester@example.com")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Sent a test to tester@example.com via 127.0.0.1:{controller.port} (no TLS)\n"
    ((sender, rcpts, raw),) = inbox.messages
    assert sender == "hello@viaskincare.com" and rcpts == ["tester@example.com"]
    received = message_from_bytes(raw, policy=policy.default)
    built = message_from_bytes((sample.build / WEEK / "email.eml").read_bytes(), policy=policy.default)
    assert received["Subject"] == "[TEST] " + built["Subject"]
    assert received["To"] == "tester@example.com"
    for header in ("From", "Reply-To", "List-Unsubscribe", "List-Unsubscribe-Post"):
        assert received[header] == built[header]
    for kind in ("plain", "html"):
        assert received.get_body((kind,)).get_content() == built.get_body((kind,)).get_content()
    # A test copy is dated when it is sent (it sorts at the top of the inbox); the .eml keeps its date.
    assert built["Date"] == "Sat, 17 Oct 2026 00:00:00 -0700"
    assert received["Date"] == "Sun, 22 Nov 2026 12:00:00 -0800"  # NEWSLETTER_NOW, in the site's zone


def test_several_recipients_are_all_delivered_and_named(sample, cli, smtp_server):
    controller, inbox = smtp_server
    _point_at(sample, controller.port)
    result = cli(
        "--project", sample.root, "send", "--to", "a@example.com", "--to", "b@example.com, c@example.com"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Sent a test to a@example.com, b@example.com, c@example.com via 127.0.0.1:{controller.port} (no TLS)\n"
    )
    ((_, rcpts, _),) = inbox.messages
    assert rcpts == ["a@example.com", "b@example.com", "c@example.com"]


def test_dry_run_prints_the_message_and_sends_nothing(sample, cli, smtp_server):
    controller, inbox = smtp_server
    _point_at(sample, controller.port)
    result = cli("--project", sample.root, "send", "--to", "tester@example.com", "--dry-run")
    assert result.exit_code == 0
    assert result.stdout.startswith("Subject: [TEST] Facial Massage and Tissue Regeneration + 1 more\n")
    assert "To: tester@example.com\n" in result.stdout
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


def test_password_comes_only_from_the_environment(sample, cli, smtp_server, monkeypatch):
    controller, _ = smtp_server
    _point_at(sample, controller.port, "smtp_user = studio\n")
    monkeypatch.delenv("NEWSLETTER_SMTP_PASSWORD", raising=False)
    result = cli("--project", sample.root, "send", "--to", "tester@example.com")
    assert result.exit_code == 1
    assert "smtp_user is set but NEWSLETTER_SMTP_PASSWORD is not; export it first" in result.stderr
    bad = cli("--project", sample.root, "send", "--to", "a@b.c\nBcc: x@y.z")
    assert bad.exit_code == 1 and "--to: expected an email address" in bad.stderr


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
        _point_at(sample, controller.port)
        result = cli("--project", sample.root, "send", "--to", "tester@example.com")
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("(STARTTLS)\n")
    assert len(inbox.messages) == 1
