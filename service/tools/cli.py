"""The `boneline` command: migrations, running the service, and one scheduler tick."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click
import yaml
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from messages import CATALOG_DIR
from service.config import Settings, load_settings
from service.domain.clock import utcnow
from service.domain.phones import mask
from service.flows import staff_accounts
from service.flows.deployment import Deployment, default_instance_path, load_deployment
from service.flows.staff_accounts import StaffError, StaffMember
from service.gateway.error_reports import init_error_reports
from service.logs import configure_logging
from service.store.db import (
    DatabaseUnavailable,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from service.vocabulary import StaffRole
from service.web import create_app
from service.web.care_login import MIN_PASSWORD, hash_password
from service.words import review
from service.words.catalog import LANGUAGES, Catalog, CatalogError
from service.words.content_check import check_catalog, format_table
from service.words.texts import deployment_params

if TYPE_CHECKING:
    from service.tools.simulate import Simulator

T = TypeVar("T")


def app_settings() -> Settings:
    """The settings the web app runs with (so the default SQLite file is the same one)."""
    return load_settings(instance_path=default_instance_path())


@click.group()
def main() -> None:
    """BoneLine: bone health reminders by text and phone."""
    configure_logging()


@main.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Bring the database schema up to date (the Procfile's release step)."""
    settings = app_settings()
    upgrade(settings.DATABASE_URL, revision)
    click.echo(where_the_database_is(settings.DATABASE_URL))


@db.command("current")
def db_current() -> None:
    """Say which migration the database is at, and the latest this code ships."""
    click.echo(where_the_database_is(app_settings().DATABASE_URL))


@db.command("downgrade")
@click.option("--revision", required=True, help="The migration to go back to (e.g. 0007).")
def db_downgrade(revision: str) -> None:
    """Move the schema back to an earlier migration, before deploying an older version."""
    settings = app_settings()
    downgrade(settings.DATABASE_URL, revision)
    click.echo(where_the_database_is(settings.DATABASE_URL))


def where_the_database_is(url: str) -> str:
    """`database is at 0008 (latest)`, or which one it is at and which is the latest."""
    revision, head = current_revision(url), head_revision()
    if revision == head:
        return f"database is at {revision} (latest)"
    return f"database is at {revision or 'no migration'}; the latest is {head}"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run(host: str, port: int) -> None:
    """Run it all on this computer: migrate, start the scheduler's jobs, serve the webhooks."""
    app = create_app()
    scheduler = start_local_scheduler(app)
    click.echo(f"BoneLine is listening on http://{host}:{port} (press Ctrl-C to stop)")
    try:
        app.run(host=host, port=port, use_reloader=False)
    finally:
        # Let a pass in progress finish and record what it sent before the process ends.
        scheduler.shutdown(wait=True)
        click.echo("BoneLine stopped")


def start_local_scheduler(app: Flask) -> BackgroundScheduler:
    """Migrate, then start the scheduler's jobs in this process with the sender for settings."""
    from scheduler.main import build_background_scheduler
    from service.gateway.sender import sender_for

    boneline = app.extensions["boneline"]
    settings = boneline.settings
    upgrade(settings.DATABASE_URL)
    # A line every 30 seconds for each job run would bury the texts it prints.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    sender = sender_for(settings, click.echo)
    scheduler = build_background_scheduler(boneline, sender)
    scheduler.start()
    sends = "through Twilio" if settings.can_send else "printed here and recorded, not sent"
    click.echo(f"database: {settings.DATABASE_URL}")
    click.echo(f"scheduler jobs: {', '.join(job.id for job in scheduler.get_jobs())} ({sends})")
    return scheduler


@main.command()
@click.option(
    "--now",
    "now_text",
    default=None,
    help="Act as if the clock said this time (ISO 8601; UTC unless it has an offset).",
)
@click.option(
    "--dry-run", is_flag=True, help="Show what would be planned and sent; change nothing."
)
def tick(now_text: str | None, dry_run: bool) -> None:
    """Run one planning and sending pass, and print what was sent (or would be)."""
    now = parse_now(now_text)
    boneline = load_deployment()
    init_error_reports(boneline.settings, "tick")
    try:
        if dry_run:
            _preview(boneline, now)
        else:
            _tick(boneline, now)
    finally:
        boneline.db.dispose()


def _preview(boneline: Deployment, now: dt.datetime) -> None:
    """Say what a pass at `now` would plan and send, changing nothing."""
    from scheduler.planning import plan
    from scheduler.sending import due_preview
    from service.domain.send_windows import SendWindows

    settings, database = boneline.settings, boneline.db
    report = plan(database, SendWindows.from_settings(settings), now, dry_run=True)
    click.echo(f"{now:%Y-%m-%d %H:%M} UTC: would plan {report.planned} messages")
    for row in due_preview(database, now, settings):
        click.echo(f"would send {row.message_id} to {mask(row.phone)} by {row.channel}")
    for row_plan in report.rows:
        click.echo(
            f"would plan {row_plan['message_id']} for subscriber {row_plan['subscriber_id']} "
            f"at {row_plan['send_at']:%Y-%m-%d %H:%M} UTC"
        )


def _tick(boneline: Deployment, now: dt.datetime) -> None:
    """One housekeeping, planning and sending pass at `now`, and every outcome in one line."""
    from scheduler.jobs import housekeeping_job, life_job, plan_job, send_job
    from service.gateway.sender import sender_for

    settings, database = boneline.settings, boneline.db
    housekeeping_job(database, settings, now)
    planned = plan_job(database, settings, now)
    life_job(database, settings, now)
    sender = sender_for(settings, click.echo)
    try:
        sent = send_job(database, settings, boneline.texts, sender, now)
    finally:
        sender.close()
    click.echo(f"{now:%Y-%m-%d %H:%M} UTC: planned {planned.planned}, {sent.summary()}")


def parse_now(text: str | None) -> dt.datetime:
    """Naive UTC from an ISO 8601 time (a time without offset is taken as UTC)."""
    if not text:
        return utcnow()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise click.BadParameter(f"not an ISO 8601 time: {text}", param_hint="--now") from error
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


@main.command()
@click.option("--phone", default="+12125550123", show_default=True, help="The number you text as.")
@click.option(
    "--lang",
    "language",
    type=click.Choice(["en", "es"]),
    default="en",
    show_default=True,
    help="Start by texting the word for this language (es: ESPANOL).",
)
@click.option(
    "--database-url",
    default=None,
    help="A database to use (default: a new SQLite file in a temporary folder).",
)
@click.option(
    "--start",
    "start_text",
    default=None,
    help="The simulated clock's start (ISO 8601, UTC unless it has an offset; default: now).",
)
def simulate(phone: str, language: str, database_url: str | None, start_text: str | None) -> None:
    """A terminal phone: text, call and move the clock; type :help for the commands."""
    # The simulator prints what matters; log lines would bury it (until it ends: the same
    # process may go on logging, as the tests do).
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        _simulate(phone, language, database_url, start_text)
    finally:
        root.setLevel(level)


def _simulate(phone: str, language: str, database_url: str | None, start_text: str | None) -> None:
    """Run the simulator on a temporary database (or the one given)."""
    import tempfile

    from service.domain.phones import InvalidPhoneNumber, to_e164
    from service.tools.simulate import Simulator

    start = parse_now(start_text).replace(second=0, microsecond=0)
    with tempfile.TemporaryDirectory(prefix="boneline-simulate-") as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'simulate.sqlite3'}"
        upgrade(url)
        # Nothing leaves this computer: texts and calls go to the simulator's own sender, and
        # care-team webhook alerts are not posted.
        boneline = load_deployment({"DATABASE_URL": url, "CARE_TEAM_WEBHOOK_URL": ""})
        try:
            number = to_e164(phone, boneline.settings.DEFAULT_REGION)
        except InvalidPhoneNumber as error:
            raise click.BadParameter(
                f"not a phone number: {phone}", param_hint="--phone"
            ) from error
        simulator = Simulator(boneline, phone=number, now=start)
        click.echo(f"BoneLine simulator: texting as {number}; type :help for the commands.")
        click.echo(simulator.show_now("")[0])
        lines = [f":lang {language}"] if language != "en" else []
        try:
            _simulate_loop(simulator, lines)
        finally:
            boneline.db.dispose()


def _simulate_loop(simulator: Simulator, first: list[str]) -> None:
    """Read lines until :quit or the end of input; echo piped lines so a transcript reads well."""
    interactive = sys.stdin.isatty()
    if interactive:
        import readline  # noqa: F401  (arrow keys and history for input())
    for line in first:
        _echo_all(simulator.handle(line))
    while not simulator.done:
        try:
            line = input("> " if interactive else "")
        except (EOFError, KeyboardInterrupt):
            if interactive:
                click.echo()  # end the prompt's line
            break
        if not interactive:
            click.echo(f"> {line}")
        _echo_all(simulator.handle(line))


def _echo_all(lines: list[str]) -> None:
    """Print each line of the simulator's answer."""
    for line in lines:
        click.echo(line)


@main.group()
def content() -> None:
    """The message catalog in messages/."""


@content.command("check")
@click.option(
    "--catalog",
    "catalog_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="A catalog folder holding en/ and es/ (default: the shipped messages/).",
)
def content_check(catalog_dir: Path | None) -> None:
    """Check every text's length, encoding, reading level, languages and required items."""
    try:
        catalog = Catalog.load(catalog_dir) if catalog_dir else Catalog.load()
    except (CatalogError, yaml.YAMLError) as error:
        raise click.ClickException(f"the catalog cannot be read: {error}") from error
    # Texts are measured with this deployment's names filled in; no database is needed.
    settings = load_settings({"DATABASE_URL": "sqlite://"})
    report = check_catalog(catalog, deployment_params(settings, catalog))
    click.echo(format_table(report))
    if not report.ok:
        raise SystemExit(1)


def _catalog_folder(catalog_dir: Path | None) -> Path:
    """The catalog folder a command works on."""
    return catalog_dir or CATALOG_DIR


@content.command("export")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Where to write en.po, es.po and review.html (made if missing).",
)
@click.option(
    "--catalog",
    "catalog_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="A catalog folder holding en/ and es/ (default: the shipped messages/).",
)
def content_export(out_dir: Path, catalog_dir: Path | None) -> None:
    """Write the catalog as a PO file per language and an HTML review sheet."""
    try:
        catalog = Catalog.load(_catalog_folder(catalog_dir))
    except (CatalogError, yaml.YAMLError) as error:
        raise click.ClickException(f"the catalog cannot be read: {error}") from error
    settings = load_settings({"DATABASE_URL": "sqlite://"})
    report = check_catalog(catalog, deployment_params(settings, catalog))
    measured = review.measured_rows(report.rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    for language in LANGUAGES:
        (out_dir / f"{language}.po").write_bytes(review.export_po(catalog, language, measured))
    (out_dir / "review.html").write_text(review.review_sheet(catalog, measured), encoding="utf-8")
    click.echo(
        f"wrote {', '.join(f'{language}.po' for language in LANGUAGES)} and review.html to"
        f" {out_dir} (catalog version {catalog.catalog_version})"
    )


@content.command("import")
@click.argument("po_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--catalog",
    "catalog_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="The catalog folder to change (default: the shipped messages/).",
)
def content_import(po_file: Path, catalog_dir: Path | None) -> None:
    """Bring a reviewed PO file back in; refuse it (changing nothing) if a text fails the check."""
    settings = load_settings({"DATABASE_URL": "sqlite://"})
    folder = _catalog_folder(catalog_dir)
    try:
        result = review.import_po(
            folder, po_file.read_bytes(), lambda catalog: deployment_params(settings, catalog)
        )
    except review.ReviewError as error:
        details = "".join(f"\n  - {problem}" for problem in error.problems)
        raise click.ClickException(f"{error}; nothing was changed.{details}") from error
    except (CatalogError, yaml.YAMLError) as error:
        raise click.ClickException(f"the catalog cannot be read: {error}") from error
    if not result.changed:
        click.echo(f"{po_file.name}: no text changed ({result.language}).")
        return
    for message_id in sorted(result.changed):
        click.echo(f"changed {message_id} [{result.language}]")
    click.echo(
        f"{len(result.changed)} texts changed; catalog version {result.version_before}"
        f" -> {result.version_after}"
    )


@main.group()
def understanding() -> None:
    """The understanding layer: what people write and say, read by a classifier."""


@understanding.command("check")
@click.option(
    "--folds",
    type=click.IntRange(min=0),
    default=0,
    help="Also cross-validate the training split N-fold and choose the safety thresholds.",
)
@click.option(
    "--blind", is_flag=True, help="Also measure the blind set (report it; never tune on it)."
)
@click.option("--details/--no-details", default=True, help="Per-label figures and confusions.")
def understanding_check(folds: int, blind: bool, details: bool) -> None:
    """Measure the classifier on the held-out and benign sets (and more, when asked)."""
    from service.understanding import corpus, evaluation, model

    trained = model.load_model()
    names = [corpus.HELDOUT, corpus.BENIGN, *([corpus.BLIND] if blind else [])]
    reports = {name: evaluation.evaluate(name, corpus.read_split(name), trained) for name in names}
    for report in reports.values():
        _echo_all(evaluation.format_summary(report))
    if details:
        for report in reports.values():
            _echo_all(evaluation.format_details(report))
    if folds:
        _echo_all(_cross_validation(folds))
    ok = evaluation.meets_targets(reports[corpus.HELDOUT], reports[corpus.BENIGN])
    click.echo(
        "targets (held-out topic accuracy >= 95%, red-flag recall 100%, false alarms <= 2%): "
        + ("met" if ok else "NOT met")
    )
    if not ok:
        raise SystemExit(1)


def _cross_validation(folds: int) -> list[str]:
    """Out-of-fold figures on the training split, and the cheapest safety thresholds."""
    from service.understanding import corpus, evaluation, reading, training, triage

    examples = corpus.read_split(corpus.TRAIN)
    labels = sorted({example.label for example in examples})
    probabilities = training.out_of_fold(examples, folds)
    report = evaluation.evaluate_probabilities(
        f"train, {folds}-fold out-of-fold", examples, labels, probabilities
    )
    lines = evaluation.format_summary(report)
    choices = evaluation.choose_thresholds(
        examples, probabilities, labels, include=[triage.THRESHOLDS]
    )
    current = next(c for c in choices if c.thresholds == triage.THRESHOLDS)
    lines.append(
        "-- safety thresholds on out-of-fold predictions (false alarms at most"
        f" {evaluation.TARGET_FALSE_ALARMS:.0%}, then the lowest cost: missed red flag"
        f" {triage.MISSED_RED_FLAG_COST:g}, needless alarm {triage.NEEDLESS_ALARM_COST:g},"
        f" red flag with a check but no alert {triage.MISSING_ALERT_COST:g}, needless check"
        f" {triage.NEEDLESS_CHECK_COST:g})"
    )
    for name, choice in (("in use", current), *(("candidate", c) for c in choices[:5])):
        lines.append(
            f"  {name:9} {choice.thresholds}: cost {choice.cost:g}, missed {choice.missed},"
            f" needless alarms {choice.needless_alarms}, needless checks {choice.needless_checks},"
            f" checks without alert {choice.unalerted}"
        )
    lines.append(
        "-- how sure a topic must be to be answered (cost: wrong answer 3, 'did you mean' 1);"
        f" in use {reading.SURE_TOPIC:g}"
    )
    for threshold, cost, wrong, asked in evaluation.choose_sure_topic(
        examples, probabilities, labels
    )[:4]:
        lines.append(f"  {threshold:g}: cost {cost:g}, wrong answers {wrong}, asked {asked}")
    return lines


@main.group()
def care() -> None:
    """The care team page."""


@care.command("hash-password")
@click.option("--name", default="", help="Print `name:hash`, ready for CARE_TEAM_ACCOUNTS.")
@click.password_option(prompt="Password for the care team page")
def care_hash_password(name: str, password: str) -> None:
    """Print a salted hash of a password, for CARE_TEAM_ACCOUNTS."""
    if len(password) < 12:
        raise click.BadParameter("use at least 12 characters", param_hint="password")
    if "," in name or ":" in name:
        raise click.BadParameter("a name cannot contain commas or colons", param_hint="--name")
    password_hash = hash_password(password)
    click.echo(f"{name}:{password_hash}" if name else password_hash)


@main.group()
def staff() -> None:
    """Care-team accounts: nurses and admins who log in to /care with their own password."""


def _staff_deployment() -> Deployment:
    """The deployment the web app uses (the same database)."""
    return load_deployment()


def _password_for() -> tuple[str, bool]:
    """The password piped on standard input, else a new one-time password (and whether it is)."""
    if not sys.stdin.isatty():
        piped = sys.stdin.readline().rstrip("\r\n")
        if piped:
            if len(piped) < MIN_PASSWORD:
                raise click.BadParameter(
                    f"use at least {MIN_PASSWORD} characters", param_hint="the password"
                )
            return piped, False
    return secrets.token_urlsafe(12), True


def _staff_action(action: Callable[[Deployment], T]) -> T:
    """Run one account change on the web app's database, with plain errors."""
    boneline = _staff_deployment()
    try:
        return action(boneline)
    except StaffError as error:
        raise click.ClickException(str(error)) from error
    except DatabaseUnavailable as error:
        raise click.ClickException(
            "cannot use the database: check DATABASE_URL and run `boneline db upgrade`"
        ) from error
    finally:
        boneline.db.dispose()


def _describe(member: StaffMember) -> str:
    """One account in a line (the phone masked)."""
    phone = mask(member.phone) if member.phone else "no phone"
    state = "disabled" if member.disabled else "active"
    if member.temporary_password and not member.disabled:
        state += ", one-time password not changed yet"
    return f"{member.name}: {member.role.value}, {phone}, {state}"


@staff.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["nurse", "admin"]), required=True)
@click.option("--phone", default=None, help="Where Call now rings them, like +12125550101.")
def staff_add(name: str, role: str, phone: str | None) -> None:
    """Add a nurse or an admin (pipe a password in, or get a one-time password)."""
    password, temporary = _password_for()
    member = _staff_action(
        lambda boneline: staff_accounts.add_member(
            boneline.db.Session,
            name,
            StaffRole(role),
            phone,
            hash_password(password),
            temporary=temporary,
            region=boneline.settings.DEFAULT_REGION,
            now=utcnow(),
        )
    )
    click.echo(f"added {_describe(member)}")
    if temporary:
        click.echo(f"one-time password: {password}")
        click.echo("Give it to them privately; they choose their own at their first login.")


@staff.command("disable")
@click.argument("name")
def staff_disable(name: str) -> None:
    """Stop an account logging in (at once, even if it is logged in now)."""
    changed = _staff_action(
        lambda boneline: staff_accounts.disable_member(boneline.db.Session, name, utcnow())
    )
    click.echo(f"disabled {' '.join(name.split())}" if changed else "it was already disabled")


@staff.command("list")
def staff_list() -> None:
    """List every account."""
    members = _staff_action(lambda boneline: staff_accounts.members(boneline.db.Session))
    if not members:
        click.echo("no staff accounts yet; add one with `boneline staff add NAME --role nurse`")
    for member in members:
        click.echo(_describe(member))


@staff.command("phone")
@click.argument("name")
@click.argument("phone", required=False)
def staff_phone(name: str, phone: str | None) -> None:
    """Set where Call now rings them (leave the number out to remove it)."""
    member = _staff_action(
        lambda boneline: staff_accounts.set_phone(
            boneline.db.Session,
            name,
            phone,
            region=boneline.settings.DEFAULT_REGION,
            now=utcnow(),
        )
    )
    click.echo(f"changed {_describe(member)}")


@staff.command("password")
@click.argument("name")
def staff_password(name: str) -> None:
    """Give an account a new password (pipe one in, or get a one-time password)."""
    password, temporary = _password_for()
    member = _staff_action(
        lambda boneline: staff_accounts.set_password(
            boneline.db.Session, name, hash_password(password), temporary=temporary, now=utcnow()
        )
    )
    click.echo(f"new password for {member.name}")
    if temporary:
        click.echo(f"one-time password: {password}")
        click.echo("Give it to them privately; they choose their own at their next login.")


if __name__ == "__main__":
    main()
