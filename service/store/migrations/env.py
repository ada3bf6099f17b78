"""Alembic environment: runs our migrations against the URL it is given."""

from alembic import context
from sqlalchemy import pool

from service.store import models  # noqa: F401  (registers the tables on Base.metadata)
from service.store.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    """Emit SQL without a database connection."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on a live connection (batch mode so SQLite can alter tables)."""
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch migration on SQLite copies a table, drops the old one and renames the copy.
        # With foreign keys on (store/db.py turns them on for every connection), dropping
        # `subscribers` would run its ON DELETE rules and wipe every planned message and unlink
        # every text. SQLite ignores this PRAGMA inside a transaction, so it goes first.
        _commit_after(connection, "PRAGMA foreign_keys=OFF")
    try:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                _refuse_broken_links(connection)
    finally:
        if sqlite:
            _commit_after(connection, "PRAGMA foreign_keys=ON")


def _commit_after(connection, statement: str) -> None:  # type: ignore[no-untyped-def]
    """Run one statement outside any migration transaction."""
    if connection.in_transaction():
        connection.commit()
    connection.exec_driver_sql(statement)
    connection.commit()


def _refuse_broken_links(connection) -> None:  # type: ignore[no-untyped-def]
    """With foreign keys off, a migration could leave a row pointing nowhere: roll it back."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the migration left {len(broken)} rows pointing at missing rows")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
