"""One deployment's settings, database and bound texts: what every flow, job and view needs.

The web app, the scheduler and the `boneline` command each build one; none of them needs the
others (the scheduler never builds a Flask app to reach the database).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from service.config import Settings, load_settings
from service.domain.loop_guard import LoopRule
from service.store.db import Database
from service.words.texts import Texts

INSTANCE_PATH = "instance"


@dataclass
class Deployment:
    """Settings, the database and the catalog bound to the deployment's names."""

    settings: Settings
    db: Database
    texts: Texts

    @classmethod
    def from_settings(cls, settings: Settings) -> Deployment:
        """Connect to the settings' database and bind the shipped catalog."""
        return cls(settings, Database(settings.DATABASE_URL), Texts.from_settings(settings))

    @cached_property
    def loop_rule(self) -> LoopRule:
        """Loop protection as the settings configure it."""
        return LoopRule.from_settings(self.settings)


def load_deployment(
    config: Mapping[str, Any] | None = None,
    instance_path: str | os.PathLike[str] | None = None,
) -> Deployment:
    """Defaults, then the environment, then `config`; SQLite in the instance folder by default."""
    return Deployment.from_settings(
        load_settings(config, instance_path=instance_path or default_instance_path())
    )


def default_instance_path() -> str:
    """Where the embedded SQLite database lives, as Flask would put the `service` package's
    instance folder: `instance/` beside the code, or `<prefix>/var/service-instance` when
    installed into site-packages."""
    package_parent = Path(__file__).resolve().parents[2]
    prefix = Path(sys.prefix).resolve()
    if package_parent.is_relative_to(prefix) and "site-packages" in package_parent.parts:
        return str(prefix / "var" / "service-instance")
    return str(package_parent / INSTANCE_PATH)
