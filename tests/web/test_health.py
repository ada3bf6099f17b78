"""`/healthz` answers while the process runs; `/readyz` says whether the deployment can work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from flask import Flask
from flask.testing import FlaskClient

from scheduler.jobs import send_job
from service.domain.clock import utcnow
from service.store import heartbeats
from service.store.db import Database, alembic_config, head_revision
from service.web import create_app
from service.words.texts import Texts
from tests.conftest import app_config
from tests.support.reminder_helpers import RecordingSender, scheduler_settings
from tests.support.tcp_proxy import TcpProxy


def send_pass(database: Database) -> None:
    """One send pass of the scheduler (it leaves its heartbeat)."""
    settings = scheduler_settings(database)
    send_job(database, settings, Texts.from_settings(settings), RecordingSender())


def test_healthz_answers_without_asking_the_database() -> None:
    app = create_app(app_config("sqlite:////nonexistent/folder/boneline.sqlite3"))
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.json) == (200, {"status": "ok"})
    app.extensions["boneline"].db.dispose()


def test_readyz_is_ready_after_a_recent_send_pass(client: FlaskClient, database: Database) -> None:
    send_pass(database)
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    found = dict(response.json)
    assert found.pop("scheduler").startswith("last send pass ")
    assert found == {
        "status": "ready",
        "database": "ok",
        "schema": f"at the latest migration ({head_revision()})",
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_503_before_the_scheduler_ever_sent(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["scheduler"] == "no send pass recorded: is the scheduler process running?"


def test_readyz_is_503_when_the_last_send_pass_is_stale(
    client: FlaskClient, database: Database
) -> None:
    heartbeats.record_pass(
        database, heartbeats.SEND_JOB, utcnow() - dt.timedelta(minutes=11), "host:1", "sent 0"
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "not ready"
    assert response.json["scheduler"] == (
        "last send pass 11 minutes ago (more than 10 minutes): is the scheduler process running?"
    )
    send_pass(database)
    assert client.get("/readyz").status_code == 200


def test_the_heartbeat_age_limit_is_a_setting(database: Database) -> None:
    heartbeats.record_pass(
        database, heartbeats.SEND_JOB, utcnow() - dt.timedelta(minutes=11), "host:1", "sent 0"
    )
    app = create_app(app_config(database.url, HEARTBEAT_MAX_AGE_MINUTES=30))
    assert app.test_client().get("/readyz").status_code == 200
    app.extensions["boneline"].db.dispose()


@pytest.fixture
def behind_schema(database: Database) -> Iterator[None]:
    """The database stamped one migration behind the code, then put back at the head."""
    head = head_revision()
    config = alembic_config(database.url)
    from alembic.script import ScriptDirectory

    previous = ScriptDirectory.from_config(config).get_revision(head).down_revision
    command.stamp(config, str(previous))
    yield
    command.stamp(config, "head")


def test_readyz_is_503_when_the_schema_is_not_at_the_latest_migration(
    client: FlaskClient, database: Database, behind_schema: None
) -> None:
    send_pass(database)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "run `boneline db upgrade`" in response.json["schema"]


def test_readyz_is_503_with_the_database_unreachable(database: Database) -> None:
    if database.is_postgresql:
        url = sa.make_url(database.url).set(host="127.0.0.1", port=1).render_as_string(False)
    else:
        url = "sqlite:////nonexistent/folder/boneline.sqlite3"
    app = create_app(app_config(url))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "not ready"
    assert response.json["database"] == "unreachable (OperationalError)"
    app.extensions["boneline"].db.dispose()


@pytest.fixture
def proxied_app(database: Database) -> Iterator[tuple[Flask, TcpProxy]]:
    """The app reaching PostgreSQL through a proxy the test can stop (the database stops)."""
    if not database.is_postgresql:
        pytest.skip("stopping the database server is a PostgreSQL test")
    target = sa.make_url(database.url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432).start()
    url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app(app_config(url))
    yield app, proxy
    proxy.stop()
    app.extensions["boneline"].db.dispose()


def test_readyz_turns_503_when_the_database_stops_and_200_when_it_is_back(
    proxied_app: tuple[Flask, TcpProxy], database: Database
) -> None:
    app, proxy = proxied_app
    client = app.test_client()
    send_pass(database)
    assert client.get("/readyz").status_code == 200
    proxy.stop()
    stopped = client.get("/readyz")
    assert stopped.status_code == 503
    assert stopped.json == {"status": "not ready", "database": "unreachable (OperationalError)"}
    assert client.get("/healthz").status_code == 200
    proxy.start()
    assert client.get("/readyz").status_code == 200
