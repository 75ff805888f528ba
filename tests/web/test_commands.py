"""The web commands: `digest serve` as a real process on 127.0.0.1; `editors hash-password`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from digest.cli import cli
from digest.web.passwords import verify_password
from tests.conftest import REPO
from tests.servers import _free_port

DIGEST = str(Path(sys.executable).parent / "digest")  # the installed console script


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder laid out like a fresh clone: the shipped config.yaml, samples and templates."""
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    (tmp_path / "digest").mkdir()
    (tmp_path / "digest" / "samples").symlink_to(REPO / "digest" / "samples")
    (tmp_path / "templates").symlink_to(REPO / "templates")
    return tmp_path


def test_serve_answers_on_the_given_port_until_stopped(project: Path, database_url: str) -> None:
    port = _free_port()
    environ = {"PATH": "/usr/bin:/bin", "DIGEST_WEB__SECURE_COOKIES": "false"}
    if not database_url.startswith("sqlite"):
        environ["DIGEST_DATABASE__URL"] = database_url
    server = subprocess.Popen(
        [DIGEST, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=project,
        env=environ,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, server.communicate()
            try:
                health = httpx.get(base + "/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "digest serve did not answer"
                time.sleep(0.1)
        assert (health.status_code, health.text) == (200, "ok")
        assert httpx.get(base + "/archive/weekly").status_code == 200
        assert httpx.get(base + "/editor").headers["location"] == "/login?next=/editor"
    finally:
        server.terminate()
        stdout, _stderr = server.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/editor" in stdout
    assert "No editor can sign in yet" in stdout


def test_serve_help_says_the_scheduler_comes_later() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output and "--port" in result.output
    assert "scheduler" in result.output


def test_hash_password_asks_twice_and_prints_a_hash_for_the_config() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["editors", "hash-password"], input="s3cret pass\ns3cret pass\n")
    assert result.exit_code == 0, result.output
    [hashed] = [line for line in result.stdout.splitlines() if line.startswith("scrypt$")]
    assert verify_password("s3cret pass", hashed)
    assert "s3cret pass" not in result.stdout

    mismatch = runner.invoke(cli, ["editors", "hash-password"], input="one\ntwo\nthree\nthree\n")
    assert mismatch.exit_code == 0
    assert "do not match" in mismatch.output
    [hashed] = [line for line in mismatch.stdout.splitlines() if line.startswith("scrypt$")]
    assert verify_password("three", hashed)
