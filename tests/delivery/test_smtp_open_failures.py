"""An SMTP server that cannot be reached, will not do TLS, refuses the login or does not answer:
each stops the send before any row is touched, with one line and a hint of its own (one that
cannot be reached or does not answer is a ServerUnavailable, which a worker waits out)."""

from __future__ import annotations

import logging
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult

from digest.errors import ServerUnavailable
from tests.cli_runner import Finished
from tests.delivery.scenario import digest, smtp_config
from tests.servers import FixtureSMTPServer, _free_port

# Said of a server that cannot take mail now (ServerUnavailable): `digest worker` waits for it.
UNSENT_WAIT = ServerUnavailable.unsent_wait


def run_against(write_config: Any, server: FixtureSMTPServer, **smtp: Any) -> Finished:
    """`digest run` sending to the server on 127.0.0.1 (or to smtp["port"]), to one reader: with
    nobody to send to, no connection is opened."""
    config = smtp_config(server, smtp=smtp)
    config["lists"][0]["demo_subscribers"] = ["reader@example.org"]
    settings = write_config(config)
    return digest(settings.config_path, "run", TEST_SMTP_PASSWORD="wrong")


@pytest.fixture(autouse=True)
def quiet_fixture_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixture server runs in this process: its own log lines (a TLS hello it cannot
    read) would land on the command's stderr, which no user's server writes to."""
    monkeypatch.setattr(logging.getLogger("mail.log"), "propagate", False)


def error_and_hint(result: Finished) -> tuple[str, str]:
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in result.stderr, result.stderr
    error, hint = lines
    assert error.startswith("error: SMTP 127.0.0.1:") and hint.startswith("hint: ")
    return error, hint


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that takes connections and never says a word (no SMTP greeting)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


def refuse_every_login(*_args: Any) -> AuthResult:
    return AuthResult(success=False, handled=False)


def test_a_refused_connection_names_host_and_port(
    write_config: Any, smtp_server: FixtureSMTPServer
) -> None:
    error, hint = error_and_hint(run_against(write_config, smtp_server, port=_free_port()))
    assert "cannot connect" in error and "Connect call failed" in error
    assert hint == (
        "hint: nothing accepts connections there: check delivery.smtp.host and "
        "delivery.smtp.port in config.yaml and that the server is up. " + UNSENT_WAIT
    )


def test_starttls_not_offered_says_what_security_to_choose(
    write_config: Any, smtp_server: FixtureSMTPServer
) -> None:
    error, hint = error_and_hint(run_against(write_config, smtp_server, security="starttls"))
    assert "TLS failed" in error and "STARTTLS" in error
    assert hint == (
        "hint: the server does not offer STARTTLS: set delivery.smtp.security to tls if the "
        "port is one of implicit TLS (465), or to none only for a local relay"
    )
    assert smtp_server.handler.events == []


def test_implicit_tls_to_a_plain_text_port_says_the_handshake_failed(
    write_config: Any, smtp_server: FixtureSMTPServer
) -> None:
    error, hint = error_and_hint(run_against(write_config, smtp_server, security="tls"))
    assert "TLS failed" in error and "SSL" in error
    assert hint == (
        "hint: the TLS handshake failed: security tls needs a port of implicit TLS (465); a "
        "port that starts in plain text (587, 25) needs starttls; check "
        "delivery.smtp.security and delivery.smtp.port"
    )


def test_a_refused_login_points_at_the_username_and_password_variable(
    write_config: Any,
) -> None:
    server = FixtureSMTPServer(authenticator=refuse_every_login).start()
    try:
        result = run_against(
            write_config,
            server,
            username="digest",
            password_env="TEST_SMTP_PASSWORD",
        )
    finally:
        server.stop()
    error, hint = error_and_hint(result)
    assert "login refused" in error and "535" in error
    assert hint == (
        "hint: check delivery.smtp.username and the password in the environment variable named "
        "by delivery.smtp.password_env"
    )
    assert server.handler.events == []


def test_a_server_that_does_not_answer_times_out_with_its_own_hint(
    write_config: Any, smtp_server: FixtureSMTPServer, silent_port: int
) -> None:
    result = run_against(write_config, smtp_server, port=silent_port, timeout_seconds=0.5)
    error, hint = error_and_hint(result)
    assert "no answer within 0.5 s" in error
    assert hint == (
        "hint: the server did not answer in delivery.smtp.timeout_seconds: check "
        "delivery.smtp.host and delivery.smtp.port (a firewall may drop the connection), or "
        "allow more seconds. " + UNSENT_WAIT
    )


def test_a_login_the_server_does_not_offer_says_so(
    write_config: Any, smtp_server: FixtureSMTPServer
) -> None:
    result = run_against(
        write_config, smtp_server, username="digest", password_env="TEST_SMTP_PASSWORD"
    )
    error, hint = error_and_hint(result)
    assert "login impossible" in error and "AUTH" in error
    assert hint.startswith("hint: the server offers no AUTH on this connection")


@pytest.fixture
def self_signed_server(tmp_path: Path) -> Iterator[FixtureSMTPServer]:
    """A server of implicit TLS whose certificate no trust store knows (made by openssl)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=x"]
    subprocess.run(
        ["openssl", *request, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = FixtureSMTPServer(ssl_context=context).start()
    yield server
    server.stop()


def test_an_untrusted_certificate_says_so(
    write_config: Any, self_signed_server: FixtureSMTPServer
) -> None:
    error, hint = error_and_hint(run_against(write_config, self_signed_server, security="tls"))
    assert "TLS failed" in error and "CERTIFICATE_VERIFY_FAILED" in error
    assert hint.startswith("hint: the server's certificate is not trusted for delivery.smtp.host")
