"""The `boneline` command line."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.store.db import Database, current_revision, upgrade
from service.tools.cli import main
from service.web import create_app
from tests.support.reminder_helpers import add_subscriber


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

    from service.store.db import Database
    from tests.support.reminder_helpers import add_subscriber

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


def test_run_starts_the_scheduler_jobs_then_serves_and_stops_cleanly_on_ctrl_c(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler
    from flask import Flask

    from service.tools import cli

    url = f"sqlite:///{tmp_path / 'run.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    for name in ("TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID", "CARE_TEAM_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    seen: dict[str, object] = {}
    start_local_scheduler = cli.start_local_scheduler

    def starting(app: Flask) -> BackgroundScheduler:
        scheduler = start_local_scheduler(app)
        seen["scheduler"] = scheduler
        return scheduler

    def serve(app: Flask, host: str, port: int, use_reloader: bool) -> None:
        scheduler = seen["scheduler"]
        assert isinstance(scheduler, BackgroundScheduler) and scheduler.running
        assert {job.id for job in scheduler.get_jobs()} == {"plan", "life", "send", "housekeeping"}
        seen["served"] = (host, port, use_reloader)
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "start_local_scheduler", starting)
    monkeypatch.setattr(Flask, "run", serve)
    result = CliRunner().invoke(main, ["run", "--port", "5055"])
    # Click turns Ctrl-C into "Aborted!" (exit 1); the scheduler was shut down on the way out.
    assert result.exit_code == 1 and "Aborted!" in result.output
    assert seen["served"] == ("127.0.0.1", 5055, False)
    assert "printed here and recorded, not sent" in result.output
    assert "BoneLine stopped" in result.output
    scheduler = seen["scheduler"]
    assert isinstance(scheduler, BackgroundScheduler) and not scheduler.running
    assert current_revision(url) is not None


def test_the_web_app_alone_never_starts_a_scheduler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from apscheduler.schedulers.base import BaseScheduler

    from service.web import create_app

    def refuse(self: BaseScheduler, *args: object, **kwargs: object) -> None:
        raise AssertionError("the web app started a scheduler")

    monkeypatch.setattr(BaseScheduler, "start", refuse)
    before = set(threading.enumerate())
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}"})
    app.test_client().get("/")
    assert set(threading.enumerate()) == before
    app.extensions["boneline"].db.dispose()


def test_simulate_reads_piped_lines_and_prints_a_transcript(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("DATABASE_URL", "CARE_TEAM_PHONE", "CARE_TEAM_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    script = "JOIN\n1\nJune 5\n1\nYES\n:advance 7d\n"
    result = CliRunner().invoke(
        main, ["simulate", "--start", "2027-01-04T09:00-05:00", "--lang", "es"], input=script
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1] == "Mon 2027-01-04 09:00 EST (2027-01-04 14:00 UTC)"
    assert "> ESPANOL" in lines and "> JOIN" in lines
    assert sum(line.startswith("[") and "] text: BoneLine" in line for line in lines) == 3
    assert lines[-1] == "(it is now Mon 2027-01-11 09:00 EST)"


def test_simulate_refuses_a_number_it_cannot_read() -> None:
    result = CliRunner().invoke(main, ["simulate", "--phone", "hello"], input="")
    assert result.exit_code == 2 and "not a phone number" in result.output


def test_the_readme_walk_through_is_exactly_what_simulate_prints(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import re

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### A pregnancy in a few minutes") :]
    script = re.search(r"printf '([^']*)'", section)
    start = re.search(r"--start (\S+)", section)
    care_team = re.search(r"CARE_TEAM_PHONE=(\S+)", section)
    shown = re.search(r"```text\n(.*?)\n```", section, re.DOTALL)
    assert script and start and care_team and shown
    for name in ("DATABASE_URL", "CARE_TEAM_WEBHOOK_URL", "PROGRAM_NAME", "ORGANIZATION_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CARE_TEAM_PHONE", care_team.group(1))
    result = CliRunner().invoke(
        main,
        ["simulate", "--start", start.group(1)],
        input=script.group(1).replace("\\n", "\n"),
    )
    assert result.exit_code == 0, result.output
    assert result.output.rstrip("\n") == shown.group(1)


def test_simulate_never_posts_the_care_team_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    import requests

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the simulator posted a webhook")

    monkeypatch.setattr(requests.Session, "request", refuse)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("CARE_TEAM_WEBHOOK_URL", "https://care.example.org/hook")
    monkeypatch.setenv("CARE_TEAM_WEBHOOK_SECRET", "a webhook secret for tests")
    script = "JOIN\n1\nJune 5\n1\nYES\nmy back hurts so bad I cant walk\n:advance 1h\n"
    result = CliRunner().invoke(main, ["simulate"], input=script)
    assert result.exit_code == 0, result.output
    assert "Severe back pain can mean a broken bone" in result.output


def test_simulate_twice_on_one_database_answers_the_second_session_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CARE_TEAM_WEBHOOK_URL", raising=False)
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    options = ["simulate", "--database-url", url, "--start", "2027-01-04T15:00Z"]
    first = CliRunner().invoke(main, options, input="JOIN\n1\nJune 5\n1\nYES\n:advance 2d\n")
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(main, [*options, "--phone", "+13125550100"], input="JOIN\n")
    assert second.exit_code == 0, second.output
    assert "< Welcome to BoneLine!" in second.output
    # A later session's sends get fresh SIDs (the message log's SIDs are unique).
    later = ["simulate", "--database-url", url, "--start", "2027-01-08T14:00Z"]
    again = CliRunner().invoke(main, later, input=":advance 1w\n")
    assert again.exit_code == 0, again.output
    assert "] text: BoneLine:" in again.output


def run_cli(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`boneline ARGUMENTS` in a fresh process with no Twilio settings, as an operator runs it."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TWILIO_", "CARE_TEAM_", "SENTRY_"))
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    return subprocess.run(
        [sys.executable, "-m", "service.tools.cli", *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


def test_tick_shows_no_web_demo_banner_and_a_dry_run_only_says_would_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    upgrade(url)
    database = Database(url)
    add_subscriber(database, "+12125550101", due_date=dt.date(2027, 3, 1))
    database.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    caplog.set_level("INFO")
    preview = CliRunner().invoke(main, ["tick", "--now", "2027-03-01T09:00:00Z", "--dry-run"])
    assert "would plan 1 messages" in preview.output
    assert "would plan 1 messages for 1 zone days" in caplog.text
    assert not re.search(r"(?<!would )planned", preview.output + caplog.text)
    # A real process, as an operator runs it: everything it prints to stdout and stderr.
    tick = run_cli(tmp_path, "tick", "--now", "2027-03-01T09:00:00Z")
    said = tick.stdout + tick.stderr
    assert "DEMO MODE" not in said and "WITHOUT signature checks" not in said
    assert "planned 1, sent 0, failed 0, unknown 0, errors 0, skipped 0, cancelled 0;" in said
    assert "phone-line texts: sent 0" in said and "webhook alerts: posted 0" in said


def test_the_readmes_twiml_example_is_what_the_service_answers(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Text the local service") :]
    posts = re.findall(r"curl -s localhost:5000/sms (.+)", section.split("```xml")[0])
    shown = re.search(r"```xml\n(.*?)\n```", section, re.DOTALL)
    assert posts and shown
    url = f"sqlite:///{tmp_path / 'readme.sqlite3'}"
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "TWILIO_AUTH_TOKEN": "", "TESTING": True})
    client = app.test_client()
    for post in posts:
        form = dict(re.findall(r"-d '?(\w+)=([^' ]+(?: \d+)?)'?", post))
        answer = client.post("/sms", data=form)
    assert answer.get_data(as_text=True) == shown.group(1)
    app.extensions["boneline"].db.dispose()


@pytest.mark.parametrize("walk", ["### A birth nobody reported", "### A loss"])
def test_the_readmes_life_change_walk_throughs_are_exactly_what_simulate_prints(
    walk: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index(walk) :]
    script = re.search(r"printf '([^']*)'", section)
    start = re.search(r"--start (\S+)", section)
    care_team = re.search(r"CARE_TEAM_PHONE=(\S+)", section.split("```text")[0])
    shown = re.search(r"```text\n(.*?)\n```", section, re.DOTALL)
    assert script and start and shown
    for name in ("DATABASE_URL", "CARE_TEAM_WEBHOOK_URL", "PROGRAM_NAME", "ORGANIZATION_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CARE_TEAM_PHONE", care_team.group(1) if care_team else "")
    result = CliRunner().invoke(
        main,
        ["simulate", "--start", start.group(1)],
        input=script.group(1).replace("\\n", "\n"),
    )
    assert result.exit_code == 0, result.output
    assert result.output.rstrip("\n") == shown.group(1)


def test_tick_plans_the_tips_of_each_stage_track_and_breastfeeding_as_the_schedule_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy as sa

    from service.domain.schedule import ScheduleProfile, due_on
    from service.store.models import PlannedMessage, Subscriber
    from service.vocabulary import Stage, Track

    url = f"sqlite:///{tmp_path / 'tracks.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    database = Database(url)
    birth = dt.date(2027, 1, 4)
    person = add_subscriber(
        database, "+12125550101", stage=Stage.POSTPARTUM, due_date=None, birth_date=birth
    )
    # (a Monday or Friday 9:00 in New York, what changed on the person's row before it)
    points = [
        (dt.date(2027, 5, 3), {"breastfeeding": True}),
        (dt.date(2027, 8, 2), {"weaned_on": dt.date(2027, 7, 20)}),
        (dt.date(2027, 8, 6), {"track": Track.SELF_CARE}),
    ]
    for day, changes in points:
        with database.Session.begin() as session:
            row = session.get(Subscriber, person)
            assert row is not None
            for name, value in changes.items():
                setattr(row, name, value)
        result = CliRunner().invoke(main, ["tick", "--now", f"{day}T09:00:00-04:00"])
        assert result.exit_code == 0 and "planned 1" in result.output, result.output
        with database.Session() as session:
            planned = session.scalars(
                sa.select(PlannedMessage).where(PlannedMessage.local_date == day)
            ).one()
            row = session.get(Subscriber, person)
            assert row is not None
            profile = ScheduleProfile(
                row.stage, row.due_date, row.birth_date, row.breastfeeding, row.weaned_on, row.track
            )
        due = due_on(profile, day)
        assert due is not None and (planned.item_key, planned.message_id) == (
            due.key,
            due.message_id,
        )
    with database.Session() as session:
        kinds = session.scalars(
            sa.select(PlannedMessage.item_key).order_by(PlannedMessage.local_date)
        ).all()
    assert kinds == ["postpartum.breastfeeding", "postpartum.weaned", "selfcare.tips"]
    database.dispose()
