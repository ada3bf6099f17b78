"""Shared fixtures: a migrated database on SQLite (always) and PostgreSQL (when reachable).

On PostgreSQL the suite makes its own database (`boneline_test_<random>`) on the server
TEST_DATABASE_URL names and drops it at the end; it never touches a database it did not make.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from service.store.db import Base, Database, make_engine, normalize_url, upgrade
from service.web import create_app
from service.words.catalog import Catalog, default_catalog
from service.words.keywords import Keywords

pytest_plugins = ["tests.support.twilio_servers"]

AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
PUBLIC_BASE_URL = "https://boneline.example.org"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_url() -> str:
    """The PostgreSQL server to test on (TEST_DATABASE_URL overrides the CI default).

    Only the server is used: the suite makes its own database there and drops it afterwards, so
    the database the URL names is never changed.
    """
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES_URL)


def postgres_reachable(url: str) -> bool:
    """Whether a PostgreSQL server answers at `url` within two seconds."""
    engine = make_engine(url, connect_args={"connect_timeout": 2}, poolclass=sa.pool.NullPool)
    try:
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def maintenance_url(url: str) -> str | None:
    """Where to run CREATE/DROP DATABASE: the database `url` names when it answers, else the
    server's own `postgres` database; None when the server does not answer at all."""
    named = sa.make_url(normalize_url(url))
    for candidate in (named, named.set(database="postgres")):
        text = candidate.render_as_string(hide_password=False)
        if postgres_reachable(text):
            return text
    return None


@contextmanager
def scratch_postgres_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server at `server_url`, dropped afterwards (nothing else is)."""
    server = sa.make_url(server_url)
    name = f"boneline_test_{secrets.token_hex(6)}"
    # CREATE and DROP DATABASE cannot run inside a transaction.
    engine = sa.create_engine(server, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with engine.connect() as connection:
                # WITH (FORCE) ends connections a test left open (PostgreSQL 13 and later).
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def migrated_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database built by the real Alembic migrations, once per backend per test run."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'boneline-test.sqlite3'}"
        upgrade(url)
        yield url
        return
    server = maintenance_url(postgres_url())
    if server is None:
        if os.environ.get("BONELINE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but not reachable at {postgres_url()}")
        pytest.skip("PostgreSQL is not reachable; set TEST_DATABASE_URL to run these")
    with scratch_postgres_database(server) as url:
        upgrade(url)
        yield url


def empty_all_tables(database: Database) -> None:
    """Delete every row, children first, so each test starts from a fresh database."""
    with database.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(scope="session")
def shared_database(migrated_database_url: str) -> Iterator[Database]:
    """One connection pool per test database for the whole run (a new pool per test is a new
    connection per test, and on SQLite a checkpoint of the write-ahead log when it closes)."""
    database = Database(migrated_database_url)
    yield database
    database.dispose()


@pytest.fixture
def database(shared_database: Database) -> Database:
    """A fresh, empty, migrated database."""
    empty_all_tables(shared_database)
    return shared_database


def app_config(database_url: str, **overrides: Any) -> dict[str, Any]:
    """The settings tests run the app with: signed webhooks, a public URL, a test database."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "PROGRAM_NAME": "BoneLine",
        "ORGANIZATION_NAME": "Test Clinic",
        "SUPPORT_CONTACT": "555-0100",
        # A test client posts a number's texts milliseconds apart, faster than any person can
        # answer, so loop protection's quick-reply signal would hold them. Its own tests
        # (tests/flows/test_loop_protection.py) turn it back on and move a clock instead.
        "LOOP_QUICK_REPLY_COUNT": 0,
        **overrides,
    }


@pytest.fixture(scope="session")
def shared_app(migrated_database_url: str) -> Iterator[Flask]:
    """One app per test database for the whole run: building one takes tens of milliseconds
    (Flask compiles every route), and the `database` fixture empties its tables before each use.
    A test that needs other settings builds its own with `create_app(app_config(...))`."""
    app = create_app(app_config(migrated_database_url))
    yield app
    app.extensions["boneline"].db.dispose()


@pytest.fixture
def app(database: Database, shared_app: Flask) -> Flask:
    """The app, wired to the fresh (emptied) test database."""
    return shared_app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Flask's test client for the app."""
    return app.test_client()


def twilio_signature(url: str, params: Mapping[str, str], token: str = AUTH_TOKEN) -> str:
    """The X-Twilio-Signature Twilio would send for this URL and form."""
    return str(RequestValidator(token).compute_signature(url, params))


class TwilioPost(Protocol):
    """Post a form to one of our webhooks, signed the way Twilio signs it."""

    def __call__(self, path: str, params: Mapping[str, str]) -> TestResponse: ...


@pytest.fixture
def twilio_post(client: FlaskClient) -> TwilioPost:
    """Post signed webhook forms through the test client."""

    def post(path: str, params: Mapping[str, str]) -> TestResponse:
        signature = twilio_signature(PUBLIC_BASE_URL + path, params)
        return client.post(path, data=dict(params), headers={"X-Twilio-Signature": signature})

    return post


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The shipped message catalog."""
    return default_catalog()


@pytest.fixture(scope="session")
def keywords(catalog: Catalog) -> Keywords:
    """Keyword tables built from the shipped catalog."""
    return Keywords.from_catalog(catalog)


ROOT = Path(__file__).resolve().parent.parent
