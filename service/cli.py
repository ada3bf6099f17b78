"""The `boneline` command: migrations and running the service."""

from __future__ import annotations

import logging
from pathlib import Path

import click
import yaml
from flask import Flask

from service import create_app
from service.careteam import hash_password
from service.catalog import Catalog, CatalogError
from service.config import Settings, load_settings
from service.content_check import check_catalog, format_table
from service.db import upgrade
from service.texts import deployment_params


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
    report = check_catalog(catalog, deployment_params(settings))
    click.echo(format_table(report))
    if not report.ok:
        raise SystemExit(1)


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
