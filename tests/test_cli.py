"""The `boneline` command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import main
from service.db import current_revision


def test_db_upgrade_builds_the_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert current_revision(url) is not None


def test_care_hash_password_prints_a_slow_salted_hash_that_logs_in() -> None:
    from werkzeug.security import check_password_hash

    result = CliRunner().invoke(
        main, ["care", "hash-password", "--name", "Dana"], input="a long password\n" * 2
    )
    assert result.exit_code == 0, result.output
    name, _, password_hash = result.output.strip().splitlines()[-1].partition(":")
    assert name == "Dana"
    assert password_hash.startswith("scrypt:")
    assert check_password_hash(password_hash, "a long password")


def test_care_hash_password_refuses_a_short_password() -> None:
    result = CliRunner().invoke(main, ["care", "hash-password"], input="short\nshort\n")
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
