"""The files a Procfile platform reads: a Python app, installed from a lock of exact versions."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import ROOT


def locked_versions() -> dict[str, Version]:
    """Each package the lock pins, by normalized name, and its exact version."""
    pins: dict[str, Version] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line.split(";", 1)[0])
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"not an exact version: {line}"
        pins[canonicalize_name(requirement.name)] = Version(specifier.version)
    return pins


def test_the_lock_pins_every_production_dependency_at_a_version_pyproject_allows() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = locked_versions()
    for text in project["dependencies"]:
        wanted = Requirement(text)
        name = canonicalize_name(wanted.name)
        assert name in pins, f"{name} is not in requirements.lock: refresh it (README, Deploy)"
        assert wanted.specifier.contains(pins[name], prereleases=True), (name, pins[name])
        for extra in wanted.extras:  # psycopg[binary] brings psycopg-binary
            assert canonicalize_name(f"{wanted.name}-{extra}") in pins, (name, extra)


def test_the_production_install_is_the_lock_then_boneline_itself() -> None:
    lines = [
        line
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines == ["-r requirements.lock", "."]


def test_a_procfile_platform_sees_a_python_app() -> None:
    assert not (ROOT / "package.json").exists(), "a root package.json makes it a Node app"
    assert (ROOT / "requirements.txt").is_file()
    assert re.fullmatch(r"3\.\d+", (ROOT / ".python-version").read_text().strip())
    kinds = [line.split(":", 1)[0] for line in (ROOT / "Procfile").read_text().splitlines()]
    assert kinds == ["release", "web", "scheduler"]
