"""The test command never drops what it did not make: it makes its own database, then drops it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from service.store.db import Database
from tests.conftest import scratch_postgres_database


def database_names(url: str) -> set[str]:
    """Every database on the server `url` names."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return set(connection.scalars(sa.text("SELECT datname FROM pg_database")))
    finally:
        engine.dispose()


def test_the_suites_database_is_its_own_and_the_named_one_is_left_alone(
    database: Database,
) -> None:
    if not database.is_postgresql:
        pytest.skip("SQLite: the suite's database is a file in pytest's own temporary folder")
    # This run's database stands in for "the one TEST_DATABASE_URL names", with a table in it.
    named = database.url
    with database.engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE keep_me (id int)"))
        connection.execute(sa.text("INSERT INTO keep_me VALUES (1)"))
    try:
        with scratch_postgres_database(named) as ours:
            made = sa.make_url(ours).database
            assert made and made.startswith("boneline_test_") and made in database_names(named)
            inner = sa.create_engine(ours, poolclass=sa.pool.NullPool)
            with inner.begin() as connection:
                connection.execute(sa.text("CREATE TABLE scratch (id int)"))
            inner.dispose()
        assert made not in database_names(named)
        with database.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT id FROM keep_me")).scalar_one() == 1
    finally:
        with database.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS keep_me"))
