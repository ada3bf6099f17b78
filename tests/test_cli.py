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


def test_tick_prints_what_it_would_send_then_sends_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    from service.db import Database
    from tests.reminder_helpers import add_subscriber

    url = f"sqlite:///{tmp_path / 'tick.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    for name in ("TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID", "CARE_TEAM_PHONE"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    database = Database(url)
    add_subscriber(database, "+12125550101", due_date=dt.date(2027, 3, 1))
    database.dispose()
    preview = runner.invoke(main, ["tick", "--now", "2027-03-01T09:00:00Z", "--dry-run"])
    assert preview.exit_code == 0, preview.output
    assert "would plan 1 messages" in preview.output
    evening = "2027-03-01T17:59:00-05:00"
    first = runner.invoke(main, ["tick", "--now", "2027-03-01T09:00:00"])
    assert "planned 1, sent 0" in first.output
    # 17:59 in New York; late rows are skipped, so use a lateness that covers the whole window.
    monkeypatch.setenv("MAX_LATENESS_HOURS", "9")
    sent = runner.invoke(main, ["tick", "--now", evening])
    assert "would send to ***0101: BoneLine: " in sent.output
    assert "2125550101" not in sent.output
    again = runner.invoke(main, ["tick", "--now", evening])
    assert "would send" not in again.output and "sent 0" in again.output


def test_tick_refuses_a_time_it_cannot_read() -> None:
    result = CliRunner().invoke(main, ["tick", "--now", "next tuesday"])
    assert result.exit_code == 2 and "ISO 8601" in result.output


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
