"""`boneline staff`: add nurses and admins, disable them, list them, set their phone and
password; the accounts then log in to /care."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.store.db import Database, upgrade
from service.store.models import StaffAccount
from service.tools.cli import main
from service.web import create_app
from tests.support.care_helpers import log_in, use_fast_password_hashing

OWN_PASSWORD = "ana's very own password"


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated SQLite file the commands and the web app share."""
    url = f"sqlite:///{tmp_path / 'staff.sqlite3'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    use_fast_password_hashing(monkeypatch)
    return url


def staff(*args: str, piped: str | None = None) -> tuple[int, str]:
    """Run `boneline staff ...`; its exit code and output."""
    result = CliRunner().invoke(main, ["staff", *args], input=piped)
    return result.exit_code, result.output


def accounts(url: str) -> list[StaffAccount]:
    """Every account row."""
    database = Database(url)
    try:
        with database.Session() as session:
            return list(session.query(StaffAccount).order_by(StaffAccount.id))
    finally:
        database.dispose()


def logs_in(url: str, name: str, password: str) -> str | None:
    """Where a login with these goes (None when refused)."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "k", "TESTING": True})
    try:
        response = log_in(app.test_client(), name, password)
        return response.headers.get("Location") if response.status_code == 302 else None
    finally:
        app.extensions["boneline"].db.dispose()


def test_add_with_a_piped_password_keeps_only_a_hash(database_url: str) -> None:
    code, output = staff(
        "add", "Nurse Ana", "--role", "nurse", "--phone", "(212) 555-0101", piped=OWN_PASSWORD
    )
    assert code == 0, output
    assert output == "added Nurse Ana: nurse, ***0101, active\n"
    (account,) = accounts(database_url)
    assert account.phone == "+12125550101" and account.role == "nurse"
    assert OWN_PASSWORD not in account.password_hash and "$" in account.password_hash
    assert not account.password_temporary
    assert logs_in(database_url, "nurse ana", OWN_PASSWORD) == "/care"


def test_add_without_a_password_prints_a_one_time_one_to_change_at_first_login(
    database_url: str,
) -> None:
    code, output = staff("add", "Bo", "--role", "admin")
    assert code == 0, output
    found = re.search(r"one-time password: (\S+)", output)
    assert found and len(found.group(1)) >= 12
    assert "they choose their own at their first login" in output
    (account,) = accounts(database_url)
    assert account.password_temporary and found.group(1) not in account.password_hash
    assert logs_in(database_url, "Bo", found.group(1)) == "/care/password"
    assert "one-time password not changed yet" in staff("list")[1]


def test_add_refuses_a_taken_name_a_bad_phone_a_short_password_or_a_role(
    database_url: str,
) -> None:
    assert staff("add", "Ana", "--role", "nurse", piped=OWN_PASSWORD)[0] == 0
    code, output = staff("add", " ana ", "--role", "admin", piped=OWN_PASSWORD)
    assert code == 1 and "there is already an account named ana" in output
    code, output = staff("add", "Cy", "--role", "nurse", "--phone", "12", piped=OWN_PASSWORD)
    assert code == 1 and "not a phone number: 12" in output
    code, output = staff("add", "Cy", "--role", "nurse", piped="short")
    assert code == 2 and "at least 12 characters" in output
    code, output = staff("add", "Cy", "--role", "viewer", piped=OWN_PASSWORD)
    assert code == 2
    assert len(accounts(database_url)) == 1


def test_disable_stops_the_login_and_list_shows_everyone(database_url: str) -> None:
    staff("add", "Ana", "--role", "nurse", "--phone", "+12125550101", piped=OWN_PASSWORD)
    staff("add", "Bo", "--role", "admin", piped="bo's very own password")
    assert staff("disable", "ANA") == (0, "disabled ANA\n")
    assert staff("disable", "Ana") == (0, "it was already disabled\n")
    code, output = staff("disable", "Nobody")
    assert code == 1 and "there is no account named Nobody" in output
    assert logs_in(database_url, "Ana", OWN_PASSWORD) is None
    assert staff("list") == (
        0,
        "Ana: nurse, ***0101, disabled\nBo: admin, no phone, active\n",
    )


def test_phone_and_password_can_be_changed(database_url: str) -> None:
    staff("add", "Ana", "--role", "nurse", piped=OWN_PASSWORD)
    assert staff("phone", "Ana", "+1 212 555 0199") == (0, "changed Ana: nurse, ***0199, active\n")
    assert staff("phone", "Ana") == (0, "changed Ana: nurse, no phone, active\n")
    code, output = staff("password", "Ana", piped="a brand new long password")
    assert (code, output) == (0, "new password for Ana\n")
    assert logs_in(database_url, "Ana", OWN_PASSWORD) is None
    assert logs_in(database_url, "Ana", "a brand new long password") == "/care"
    code, output = staff("password", "Ana")
    assert code == 0 and "one-time password: " in output


def test_an_empty_list_says_how_to_add_someone(database_url: str) -> None:
    assert "boneline staff add NAME --role nurse" in staff("list")[1]


def test_a_database_without_the_tables_says_to_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    code, output = staff("list")
    assert code == 1 and "run `boneline db upgrade`" in output
