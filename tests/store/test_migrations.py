"""The migrations are the schema: the head matches the models on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from service.store.db import Base, Database, alembic_config, current_revision


def test_migrations_have_a_single_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_database_is_at_the_head_and_matches_the_models(database: Database) -> None:
    script = ScriptDirectory.from_config(alembic_config(database.url))
    assert current_revision(database.url) == script.get_current_head()
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
