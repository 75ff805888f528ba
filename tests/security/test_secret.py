"""The secret that signs reader links and editor sessions is never one anyone else knows.

The attack: the shipped config.yaml allowed a development secret written in the source, so on
an install without DIGEST_SECRET_KEY anyone could sign an editor's session cookie and any
reader's unsubscribe or preferences token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from base64 import b64encode
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import itsdangerous
import pytest
import yaml
from sqlalchemy import select

from digest import pipeline
from digest.config import Settings, load_settings
from digest.errors import ConfigError
from digest.secret_key import secret_key, session_key
from digest.web import create_app
from subscribers.models import MailingList, Subscriber, Subscription
from subscribers.tokens import TokenSigner, TokenSubject
from tests.web.conftest import EDITOR, NOW, PASSWORD, PASSWORD_ENV, LiveApp, serve

REPO = Path(__file__).resolve().parents[2]
# A development secret that stood in digest's public source: anything it signs is forged,
# so it must never sign anything again.
OLD_DEV_SECRET = "digest-development-secret-do-not-use-in-production"
SESSION_COOKIE = "digest_session"
LONG_SECRET = "k" * 32


@pytest.fixture(autouse=True)
def no_secret_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The install the attack targets: DIGEST_SECRET_KEY unset (whatever this shell has)."""
    monkeypatch.delenv("DIGEST_SECRET_KEY", raising=False)


@pytest.fixture
def settings(write_config) -> Settings:  # type: ignore[no-untyped-def]
    """A fresh install: no secret anywhere yet, one editor, one reader on the weekly list."""
    return write_config(
        {
            "web": {
                "secure_cookies": False,  # the tests speak plain http to 127.0.0.1
                "editors": [{"username": EDITOR, "password_env": PASSWORD_ENV}],
            }
        }
    )


@pytest.fixture
def rt(settings: Settings) -> Iterator[pipeline.Runtime]:
    with pipeline.runtime(settings, NOW) as runtime:
        yield runtime


@pytest.fixture
def app(settings: Settings, rt: pipeline.Runtime) -> Iterator[LiveApp]:
    with serve(create_app(settings, clock=lambda: NOW, environ={PASSWORD_ENV: PASSWORD})) as live:
        yield live


def secret_file(settings: Settings) -> Path:
    return settings.config_path.parent / "digest.secret"


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def derived_session_key(secret: str) -> str:
    return hmac.new(secret.encode(), b"digest.web.session", hashlib.sha256).hexdigest()


def session_cookie(payload: Mapping[str, object] | bytes, key: str) -> str:
    """A session cookie as Starlette's SessionMiddleware signs it, with this key."""
    data = payload if isinstance(payload, bytes) else b64encode(json.dumps(payload).encode())
    return itsdangerous.TimestampSigner(key).sign(data).decode()


# ------------------------------------------------------------------ where the secret comes from


def test_a_fresh_install_makes_an_owner_only_secret_file_once_and_every_runtime_uses_it(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    path = secret_file(settings)
    assert not path.exists()

    with caplog.at_level(logging.INFO), pipeline.runtime(settings, NOW) as first:
        token = first.signer.sign("unsubscribe", TokenSubject(1, 1))
    assert path.is_file() and mode(path) == 0o600
    secret = path.read_text().strip()
    assert len(secret.encode()) >= 32 and secret != OLD_DEV_SECRET
    generated = [r for r in caplog.records if "generated" in r.getMessage()]
    assert len(generated) == 1 and str(path) in generated[0].getMessage()
    assert secret not in caplog.text  # the log names the file, never the secret

    # Another process reading the same config (a fresh load) finds the same secret.
    again = load_settings(settings.config_path, environ={})
    assert secret_key(again) == secret_key(settings) == secret
    with pipeline.runtime(again, NOW) as second:
        assert second.signer.verify("unsubscribe", token) == TokenSubject(1, 1)
    assert TokenSigner(secret).verify("unsubscribe", token) == TokenSubject(1, 1)
    assert TokenSigner(OLD_DEV_SECRET).verify("unsubscribe", token) is None
    generated = [r for r in caplog.records if "generated" in r.getMessage()]
    assert len(generated) == 1


def test_each_install_gets_its_own_secret(write_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    one = secret_key(write_config())
    other_folder = tmp_path / "other"
    other_folder.mkdir()
    config = other_folder / "config.yaml"
    config.write_text(yaml.safe_dump({"database": {"url": "sqlite:///other.db"}}))
    other = secret_key(load_settings(config, environ={}))
    assert one != other
    assert len(one.encode()) >= 32 and len(other.encode()) >= 32


def test_threads_starting_at_once_end_with_the_same_secret(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    start = threading.Barrier(16)
    found: list[str] = []

    def first_use() -> None:
        start.wait()
        found.append(secret_key(settings))

    with caplog.at_level(logging.INFO):
        threads = [threading.Thread(target=first_use) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert len(found) == 16 and len(set(found)) == 1
    assert found[0] == secret_file(settings).read_text().strip()
    assert len([r for r in caplog.records if "generated" in r.getMessage()]) == 1
    leftovers = [p.name for p in secret_file(settings).parent.iterdir() if "secret" in p.name]
    assert leftovers == ["digest.secret"]  # no temporary files left behind


def test_processes_starting_at_once_end_with_the_same_secret(settings: Settings) -> None:
    # Each process waits for the same instant, then makes or reads the secret.
    program = (
        "import logging, sys, time\n"
        "from digest.config import load_settings\n"
        "from digest.secret_key import secret_key\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "settings = load_settings(sys.argv[1], environ={})\n"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
        "print(secret_key(settings))\n"
    )
    at = str(time.time() + 1.5)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", program, str(settings.config_path), at],
            env=environ,
            cwd=settings.config_path.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [run.communicate(timeout=30) for run in runs]

    assert [run.returncode for run in runs] == [0] * 4, [err for _, err in outputs]
    secrets_seen = {out.strip() for out, _ in outputs}
    assert secrets_seen == {secret_file(settings).read_text().strip()}
    assert sum("generated" in err for _, err in outputs) == 1
    assert mode(secret_file(settings)) == 0o600


@pytest.mark.parametrize("loose", [0o640, 0o604, 0o620, 0o602, 0o644], ids=oct)
def test_a_secret_file_others_may_read_or_write_is_refused(settings: Settings, loose: int) -> None:
    path = secret_file(settings)
    path.write_text("s" * 48 + "\n")
    path.chmod(loose)

    with pytest.raises(ConfigError) as refused:
        pipeline.open_runtime(settings, NOW)
    assert str(path) in refused.value.message
    assert f"chmod 600 {path}" in refused.value.hint
    with pytest.raises(ConfigError, match="open to other users"):
        create_app(settings, environ={PASSWORD_ENV: PASSWORD})
    assert path.read_text() == "s" * 48 + "\n"  # left as it was for its owner to fix

    path.chmod(0o600)
    assert secret_key(settings) == "s" * 48


def test_a_secret_file_shorter_than_32_bytes_is_refused(settings: Settings) -> None:
    path = secret_file(settings)
    path.write_text("too-short-a-secret\n")
    path.chmod(0o600)

    with pytest.raises(ConfigError) as refused:
        secret_key(settings)
    assert str(path) in refused.value.message and "32 bytes" in refused.value.message
    assert "secrets.token_urlsafe(48)" in refused.value.hint
    with pytest.raises(ConfigError, match="32 bytes"):
        pipeline.open_runtime(settings, NOW)


def test_a_secret_file_that_is_no_file_is_refused_without_waiting(settings: Settings) -> None:
    os.mkfifo(secret_file(settings), 0o600)  # reading it would wait for a writer forever
    with pytest.raises(ConfigError, match="not a regular file"):
        secret_key(settings)


def test_a_secret_file_in_a_folder_digest_cannot_write_names_the_key_to_fix(
    write_config,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    settings = write_config({"security": {"secret_file": str(tmp_path / "missing" / "s")}})
    with pytest.raises(ConfigError) as refused:
        secret_key(settings)
    assert "security.secret_file" in refused.value.message
    assert "DIGEST_SECRET_KEY" in refused.value.hint


def test_a_secret_in_the_environment_is_used_and_makes_no_file(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_SECRET_KEY", LONG_SECRET)
    with pipeline.runtime(settings, NOW) as rt:
        token = rt.signer.sign("preferences", TokenSubject(3, 4))
    assert TokenSigner(LONG_SECRET).verify("preferences", token) == TokenSubject(3, 4)
    assert session_key(settings) == derived_session_key(LONG_SECRET)
    assert not secret_file(settings).exists()


@pytest.mark.parametrize("short", ["", " ", "x" * 31, "é" * 15])
def test_a_secret_in_the_environment_shorter_than_32_bytes_is_refused(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, short: str
) -> None:
    monkeypatch.setenv("DIGEST_SECRET_KEY", short)
    if not short:
        # Set but empty is a mistake too, not a reason to make a file quietly.
        with pytest.raises(ConfigError, match="DIGEST_SECRET_KEY"):
            secret_key(settings)
        return
    with pytest.raises(ConfigError) as refused:
        pipeline.open_runtime(settings, NOW)
    assert "DIGEST_SECRET_KEY" in refused.value.message and "32 bytes" in refused.value.message
    assert 'python -c "import secrets; print(secrets.token_urlsafe(48))"' in refused.value.hint
    with pytest.raises(ConfigError, match="DIGEST_SECRET_KEY"):
        create_app(settings, environ={PASSWORD_ENV: PASSWORD})
    assert not secret_file(settings).exists()


def test_the_variable_named_by_secret_key_env_is_the_one_read(
    write_config,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DIGEST_SECRET_KEY", "ignored-" + LONG_SECRET)
    monkeypatch.setenv("NEWSROOM_DIGEST_SECRET", "x" * 40)
    settings = write_config({"security": {"secret_key_env": "NEWSROOM_DIGEST_SECRET"}})
    assert secret_key(settings) == "x" * 40


# ------------------------------------------------------------------ the removed setting


def test_a_config_that_still_allows_the_dev_secret_says_the_key_is_gone(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"security": {"allow_dev_secret": True}}))
    with pytest.raises(ConfigError) as refused:
        load_settings(path, environ={})
    message = refused.value.message
    assert "security.allow_dev_secret" in message and "removed" in message
    assert "security.secret_file" in message

    path.write_text("{}")
    with pytest.raises(ConfigError) as overridden:
        load_settings(path, environ={"DIGEST_SECURITY__ALLOW_DEV_SECRET": "true"})
    assert overridden.value.message.startswith("DIGEST_SECURITY__ALLOW_DEV_SECRET")
    assert "removed" in overridden.value.message


def test_no_known_secret_in_the_source_or_the_shipped_config() -> None:
    places = [REPO / "digest", REPO / "subscribers", REPO / "templates", REPO / "config.yaml"]
    found = subprocess.run(
        ["grep", "-rIl", "-e", OLD_DEV_SECRET, "-e", "DEV_SECRET", *map(str, places)],
        capture_output=True,
        text=True,
    )
    assert found.returncode == 1, found.stdout  # grep: 1 means nothing found
    assert "allow_dev_secret" not in (REPO / "config.yaml").read_text()
    shipped = load_settings(REPO / "config.yaml", environ={})
    assert shipped.security.secret_file == Path("digest.secret")
    ignored = (REPO / ".gitignore").read_text().splitlines()
    assert "digest.secret" in ignored


# ------------------------------------------------------------------ forged editor sessions


def test_an_editor_session_forged_with_the_old_dev_secret_is_not_signed_in(
    app: LiveApp, settings: Settings
) -> None:
    anonymous = {"editor": EDITOR, "csrf": "forged-csrf-token-0123456789"}
    old_keys = {
        "old dev secret, derived": derived_session_key(OLD_DEV_SECRET),
        "old dev secret itself": OLD_DEV_SECRET,
        "the real secret, not derived": secret_key(settings),
        "another random secret, derived": derived_session_key("r" * 48),
    }
    for label, key in old_keys.items():
        with httpx.Client(base_url=app.url, follow_redirects=False, timeout=30) as http:
            http.cookies.set(SESSION_COOKIE, session_cookie(anonymous, key))
            page = http.get("/editor")
            assert page.status_code == 303, label
            assert page.headers["location"].startswith("/login"), label

    # A real sign-in: its cookie verifies under the key derived from the real secret alone...
    signed_in = app.editor()
    genuine = signed_in.http.cookies[SESSION_COOKIE]
    assert signed_in.get("/editor").status_code == 200
    real_key = derived_session_key(secret_file(settings).read_text().strip())
    assert session_key(settings) == real_key
    payload = itsdangerous.TimestampSigner(real_key).unsign(genuine)

    # ...and the same genuine session signed again with any other key is a stranger's.
    for label, key in old_keys.items():
        with httpx.Client(base_url=app.url, follow_redirects=False, timeout=30) as http:
            http.cookies.set(SESSION_COOKIE, session_cookie(payload, key))
            assert http.get("/editor").status_code == 303, label
    with httpx.Client(base_url=app.url, follow_redirects=False, timeout=30) as http:
        http.cookies.set(SESSION_COOKIE, session_cookie(payload, real_key))
        assert http.get("/editor").status_code == 200  # the forgery above was a faithful one


# ------------------------------------------------------------------ forged reader links


def _reader(rt: pipeline.Runtime) -> TokenSubject:
    with rt.sessions() as session:
        subscriber = session.scalar(
            select(Subscriber.id).where(Subscriber.email == "reader@example.org")
        )
        mailing_list = session.scalar(select(MailingList.id).where(MailingList.slug == "weekly"))
    assert subscriber is not None and mailing_list is not None
    return TokenSubject(subscriber, mailing_list)


def _status(rt: pipeline.Runtime) -> str:
    with rt.sessions() as session:
        status = session.scalar(select(Subscription.status))
    assert status is not None
    return status


def test_reader_links_forged_with_the_old_dev_secret_do_nothing(
    app: LiveApp, rt: pipeline.Runtime
) -> None:
    reader = _reader(rt)
    old = TokenSigner(OLD_DEV_SECRET)
    forged_unsubscribe = old.sign("unsubscribe", reader)
    forged_preferences = old.sign("preferences", reader)

    with httpx.Client(base_url=app.url, follow_redirects=False, timeout=30) as http:
        assert http.get(f"/u/{forged_unsubscribe}").status_code == 400
        one_click = http.post(
            f"/u/{forged_unsubscribe}",
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert one_click.status_code == 400
        assert _status(rt) == "confirmed"
        preferences = http.get(f"/p/{forged_preferences}")
        assert preferences.status_code == 400 and "reader@example.org" not in preferences.text
        page = http.get("/subscribe")  # a genuine session and CSRF token, for the form posts
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        form = {"csrf_token": csrf.group(1)}
        assert http.post(f"/p/{forged_preferences}/leave", data=form).status_code == 400
        erase = http.post(f"/p/{forged_preferences}/erase", data={**form, "sure": "yes"})
        assert erase.status_code == 400
        assert _status(rt) == "confirmed"

        # The app's own link for the same reader works: the forgery was refused for its key.
        genuine = rt.signer.sign("unsubscribe", reader)
        assert genuine != forged_unsubscribe
        assert http.get(f"/u/{genuine}").status_code == 200
        done = http.post(
            f"/u/{genuine}",
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert done.status_code == 200 and _status(rt) == "unsubscribed"


def test_a_secret_file_that_is_a_symbolic_link_is_refused(settings: Settings) -> None:
    """A link put in the data folder would choose the secret (any 0600 file of the same user)."""
    chosen = secret_file(settings).with_name("chosen")
    chosen.write_text("A" * 40 + "\n")
    chosen.chmod(0o600)
    secret_file(settings).symlink_to(chosen)
    with pytest.raises(ConfigError, match="symbolic link"):
        secret_key(settings)
