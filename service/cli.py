"""The `boneline` command: migrations and running the service."""

from __future__ import annotations

import logging

import click
from flask import Flask

from service import create_app
from service.careteam import hash_password
from service.config import Settings
from service.db import upgrade


def app_settings(app: Flask | None = None) -> Settings:
    """The settings the web app runs with (so the default SQLite file is the same one)."""
    app = app or create_app()
    settings: Settings = app.extensions["boneline"].settings
    return settings


@click.group()
def main() -> None:
    """BoneLine: bone health reminders by text and phone."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@main.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Bring the database schema up to date (the Procfile's release step)."""
    settings = app_settings()
    upgrade(settings.DATABASE_URL, revision)
    click.echo(f"database is at {revision}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run(host: str, port: int) -> None:
    """Run the service locally: migrate the database, then serve the webhooks."""
    app = create_app()
    settings = app_settings(app)
    upgrade(settings.DATABASE_URL)
    click.echo(f"BoneLine is listening on http://{host}:{port} (database: {settings.DATABASE_URL})")
    app.run(host=host, port=port, use_reloader=False)


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
