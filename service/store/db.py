"""Database engine, sessions, transactions and migrations: shared by web, scheduler and tools."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeAlias

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# What the rooms above the store hold and pass around, without importing SQLAlchemy themselves.
Sessions: TypeAlias = sessionmaker[Session]
DbSession: TypeAlias = Session
# The database cannot be reached (the web app answers 503, the scheduler tries next pass).
DatabaseUnavailable = OperationalError


class DuplicateError(Exception):
    """A write met a unique row written at the same moment (a webhook retried mid-answer)."""


@contextmanager
def transaction(sessions: Sessions) -> Iterator[Session]:
    """One transaction: committed at the end, rolled back on error; a duplicate says so."""
    try:
        with sessions.begin() as session:
            yield session
    except IntegrityError as error:
        raise DuplicateError(str(error.orig.__class__.__name__)) from error


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The one declarative base; its naming convention gives Alembic named constraints."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain postgres URLs (Heroku-style `postgres://` included)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> sa.Engine:
    """Create an engine that behaves the same on SQLite and PostgreSQL."""
    url = normalize_url(url)
    # SQL errors would otherwise quote their parameters (numbers, what people wrote) into logs.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = sa.create_engine(url, **kwargs)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Enforce foreign keys and let readers and one writer work at once."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Database:
    """An engine and the session factory bound to it; callers own their sessions."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalize_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.Session = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_postgresql(self) -> bool:
        """Whether this is the production store (row locks with SKIP LOCKED work here)."""
        return self.engine.dialect.name == "postgresql"

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def alembic_config(url: str) -> AlembicConfig:
    """An Alembic configuration for our migrations, pointed at one database."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Run the migrations up to `revision`."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Undo the migrations after `revision` (to roll back to an older version of the code)."""
    command.downgrade(alembic_config(url), revision)


@functools.cache
def head_revision() -> str | None:
    """The latest migration this code ships (what `boneline db upgrade` brings a database to)."""
    from alembic.script import ScriptDirectory

    head: str | None = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    return head


def schema_revision(database: Database) -> str | None:
    """The migration the database is at (None before the first); raises DatabaseUnavailable.

    Read straight from Alembic's table, quietly: `/readyz` asks often.
    """
    with database.engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        revision: str | None = connection.execute(
            sa.text("SELECT version_num FROM alembic_version")
        ).scalar()
        return revision


def current_revision(url: str) -> str | None:
    """The revision the database is at, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
