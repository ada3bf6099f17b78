"""The database down or failing mid-request: Twilio gets a 503 to retry, nothing is half-written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from service.store.db import Base, Database
from service.web import create_app
from tests.conftest import PUBLIC_BASE_URL, app_config, empty_all_tables, twilio_signature
from tests.support.sms_helpers import sms_form
from tests.support.voice_helpers import call_form, placed_call_form

REFUSING = {
    "sqlite": "sqlite:////nonexistent-folder/for/boneline.sqlite3",
    # Nothing listens on port 1 of the loopback address: the connection is refused at once.
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/boneline",
}
DUE = dt.date.today() + dt.timedelta(days=60)
# Requests that write: each is replayed with the database failing at each of its statements.
WRITING_REQUESTS = [
    ("/sms", ["JOIN"], "1"),
    ("/sms", ["JOIN", "1", DUE.isoformat(), "1"], "YES"),
    ("/sms", ["JOIN"], "I fell and my back hurts so bad"),
    ("/sms", ["JOIN", "1"], "DELETE"),
    ("/sms", [], "STOP"),
    ("/voice/menu?lang=en&node=stop", [], "1"),
    (
        f"/voice/menu?lang=en&node=sub_consent&stage=pregnant&channel=sms&date={DUE}",
        [],
        "1",
    ),
    ("/voice/reminder/answer?message=checkin.week6&lang=en", [], "1"),
]


def signed_post(client: FlaskClient, path: str, form: dict[str, str]) -> Any:
    """Post a form signed like Twilio."""
    signature = twilio_signature(PUBLIC_BASE_URL + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def form_for(path: str, answer: str) -> dict[str, str]:
    """The form Twilio posts to this webhook with this text or keypress."""
    if path == "/sms":
        return sms_form(answer)
    if path.startswith("/voice/reminder"):
        return placed_call_form(Digits=answer)
    return call_form(Digits=answer)


def snapshot(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table."""
    with database.engine.connect() as connection:
        return {
            table.name: sorted(map(tuple, connection.execute(table.select())), key=repr)
            for table in Base.metadata.sorted_tables
        }


@contextmanager
def failing_at(engine: sa.Engine, statement: int) -> Iterator[list[str]]:
    """Make the engine's `statement`-th SQL statement fail as a dropped connection would."""
    seen: list[str] = []
    dbapi_error = engine.dialect.loaded_dbapi.OperationalError

    def fail(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        seen.append(sql)
        if len(seen) == statement:
            raise dbapi_error("injected: server closed the connection unexpectedly")

    sa.event.listen(engine, "before_cursor_execute", fail)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", fail)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/sms", sms_form("JOIN")),
        ("/voice/menu?lang=en&node=stop", call_form(Digits="1")),
        ("/voice/reminder/answer?message=checkin.week6&lang=en", placed_call_form(Digits="1")),
    ],
)
def test_a_database_that_refuses_connections_gets_twilio_a_503(
    backend: str, path: str, form: dict[str, str]
) -> None:
    app = create_app(app_config(REFUSING[backend]))
    response = signed_post(app.test_client(), path, form)
    assert response.status_code == 503
    assert "Traceback" not in response.get_data(as_text=True)
    app.extensions["boneline"].db.dispose()


@pytest.mark.parametrize(("path", "before", "answer"), WRITING_REQUESTS)
def test_a_failure_at_any_statement_commits_nothing_and_the_retry_works_once(
    app: Flask, database: Database, path: str, before: list[str], answer: str
) -> None:
    client = app.test_client()
    engine = app.extensions["boneline"].db.engine
    form = form_for(path, answer)

    def start_over() -> None:
        empty_all_tables(database)
        for body in before:
            assert signed_post(client, "/sms", sms_form(body)).status_code == 200

    start_over()
    with failing_at(engine, 0) as counted:
        assert signed_post(client, path, form).status_code == 200
    assert counted, "the request wrote nothing"
    for failing in range(1, len(counted) + 1):
        start_over()
        state = snapshot(database)
        with failing_at(engine, failing):
            response = signed_post(client, path, form)
        assert response.status_code == 503, (failing, counted[failing - 1])
        assert snapshot(database) == state, f"half-written at statement {failing}"
        # Twilio retries the same request once the database is back: it is recorded once.
        assert signed_post(client, path, form).status_code == 200
        recorded = snapshot(database)
        assert recorded != state
        assert signed_post(client, path, form).status_code == 200
        assert snapshot(database) == recorded
