"""Helpers for the care team page's tests: seed rows, log in, read form tokens."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash
from werkzeug.test import TestResponse

from service.domain.clock import utcnow
from service.store import staff
from service.store.db import Database
from service.store.models import Escalation
from service.vocabulary import StaffRole

# Enough to prove hashing is used, cheap enough that each login takes a millisecond.
FAST_HASH = "pbkdf2:sha256:1000"
SHARED_PASSWORD = "correct horse battery staple"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_escalation(database: Database, **fields: Any) -> int:
    """Insert one escalation (sensible defaults) and return its id."""
    values: dict[str, Any] = {
        "phone": "+12125550143",
        "source": "text",
        "reason": "severe_back_pain",
        "detail": "my back hurts so much I cannot stand",
        "language": "en",
        "stage": "postpartum",
        "created_at": dt.datetime(2026, 11, 23, 22, 0),
        **fields,
    }
    with database.Session.begin() as session:
        escalation = Escalation(**values)
        session.add(escalation)
        session.flush()
        return escalation.id


def csrf_token(client: FlaskClient, path: str = "/care/login") -> str:
    """The form token from a page's form."""
    match = TOKEN.search(client.get(path).get_data(as_text=True))
    assert match, f"no form token on {path}"
    return match.group(1)


def log_in(
    client: FlaskClient, name: str = "Nurse Ana", password: str = SHARED_PASSWORD
) -> TestResponse:
    """Post the login form with its token."""
    token = csrf_token(client)
    return client.post(
        "/care/login", data={"csrf_token": token, "name": name, "password": password}
    )


def use_fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash test passwords cheaply (production keeps werkzeug's slow default)."""
    monkeypatch.setattr("service.web.care_login.HASH_METHOD", FAST_HASH)


NURSE_PASSWORD = "nurse ana's own long password"
NURSE_PHONE = "+12125550101"
PERSON_PHONE = "+12125550143"


def add_staff(
    database: Database,
    name: str = "Ana",
    role: StaffRole = StaffRole.NURSE,
    *,
    phone: str | None = NURSE_PHONE,
    password: str = NURSE_PASSWORD,
    temporary: bool = False,
) -> int:
    """A staff account in the database (its password hashed cheaply); its id."""
    with database.Session.begin() as session:
        return staff.add(
            session,
            name=name,
            role=role,
            phone=phone,
            password_hash=generate_password_hash(password, FAST_HASH),
            temporary=temporary,
            now=utcnow(),
        )


def form_post(client: FlaskClient, path: str, page: str, **fields: str) -> TestResponse:
    """Post a care form with the token from `page`."""
    return client.post(path, data={"csrf_token": csrf_token(client, page), **fields})
