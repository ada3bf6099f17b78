"""The test command never drops what it did not make: it makes its own database, then drops it."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from tests.conftest import maintenance_url, postgres_url, scratch_postgres_database


def database_names(server: str) -> set[str]:
    """Every database on the server."""
    engine = sa.create_engine(server, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return set(connection.scalars(sa.text("SELECT datname FROM pg_database")))
    finally:
        engine.dispose()


def test_the_suites_database_is_its_own_and_the_named_one_is_left_alone() -> None:
    server = maintenance_url(postgres_url())
    if server is None:
        if os.environ.get("BONELINE_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required")
        pytest.skip("PostgreSQL is not reachable")
    # Stand-in for "the database TEST_DATABASE_URL names", holding someone's table.
    with scratch_postgres_database(server) as someone_elses:
        engine = sa.create_engine(someone_elses, poolclass=sa.pool.NullPool)
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE keep_me (id int)"))
            connection.execute(sa.text("INSERT INTO keep_me VALUES (1)"))
        with scratch_postgres_database(someone_elses) as ours:
            made = sa.make_url(ours).database
            assert made and made.startswith("boneline_test_") and made in database_names(server)
            inner = sa.create_engine(ours, poolclass=sa.pool.NullPool)
            with inner.begin() as connection:
                connection.execute(sa.text("CREATE TABLE scratch (id int)"))
            inner.dispose()
        assert made not in database_names(server)
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT id FROM keep_me")).scalar_one() == 1
        engine.dispose()
