"""Roles: accounts written before roles are admins; `digest editors add --role` prints one."""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner

from digest.cli import cli
from digest.config_sections import EditorAccount
from digest.errors import ConfigError
from digest.web.passwords import verify_password


def test_an_account_without_a_role_is_an_admin_so_no_one_is_locked_out(write_config) -> None:
    settings = write_config({"web": {"editors": [{"username": "amina", "password_env": "X"}]}})
    assert [a.role for a in settings.web.editors] == ["admin"]
    with pytest.raises(ConfigError, match="role"):
        write_config(
            {"web": {"editors": [{"username": "a", "password_env": "X", "role": "owner"}]}}
        )


def test_editors_add_prints_the_accounts_lines_with_its_role() -> None:
    result = CliRunner().invoke(
        cli, ["editors", "add", "kofi", "--role", "editor"], input="long pass\nlong pass\n"
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout[result.stdout.index("  - username") :]
    [account] = yaml.safe_load(lines)
    parsed = EditorAccount(**account)
    assert parsed.username == "kofi" and parsed.role == "editor"
    assert parsed.password_hash is not None and verify_password("long pass", parsed.password_hash)
    assert "long pass" not in result.stdout

    missing = CliRunner().invoke(cli, ["editors", "add", "kofi"], input="x\nx\n")
    assert missing.exit_code == 2 and "--role" in missing.output
    quoted = CliRunner().invoke(cli, ["editors", "add", 'ko"fi', "--role", "admin"], input="x\nx\n")
    assert quoted.exit_code == 2
