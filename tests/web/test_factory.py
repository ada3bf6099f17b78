"""The app factory: config from a dict or the environment, demo mode, error pages."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from service.config import load_settings
from service.web import create_app
from tests.conftest import TwilioPost
from tests.support.sms_helpers import replies, sms_form


def test_config_dict_overrides_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROGRAM_NAME", "From Env")
    assert load_settings({}).PROGRAM_NAME == "From Env"
    assert load_settings({"PROGRAM_NAME": "From Dict"}).PROGRAM_NAME == "From Dict"


def test_default_database_is_a_sqlite_file_in_the_instance_folder(tmp_path: object) -> None:
    settings = load_settings({}, environ={}, instance_path=str(tmp_path))
    assert f"sqlite:///{tmp_path}/boneline.sqlite3" == settings.DATABASE_URL
    assert settings.TWILIO_API_BASE_URL == "https://api.twilio.com"


def test_postgres_urls_use_psycopg_3() -> None:
    from service.store.db import normalize_url

    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_demo_mode_says_so_loudly_and_accepts_unsigned_texts(
    database: object, caplog: pytest.LogCaptureFixture
) -> None:
    url = database.url  # type: ignore[attr-defined]
    with caplog.at_level(logging.WARNING):
        app = create_app({"DATABASE_URL": url, "TWILIO_AUTH_TOKEN": "", "TESTING": True})
    assert "LOCAL DEMO MODE" in caplog.text
    response = app.test_client().post("/sms", data=sms_form("JOIN"))
    assert "Reply 1" in replies(response)[0]
    app.extensions["boneline"].db.dispose()


def test_behind_a_proxy_the_forwarded_public_url_is_what_is_validated(database: object) -> None:
    from tests.conftest import AUTH_TOKEN, twilio_signature

    url = database.url  # type: ignore[attr-defined]
    app = create_app(
        {"DATABASE_URL": url, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TRUSTED_PROXY_COUNT": 1}
    )
    form = sms_form("JOIN")
    signature = twilio_signature("https://public.example/sms", form)
    response = app.test_client().post(
        "/sms",
        data=form,
        base_url="http://127.0.0.1:8000",
        headers={
            "X-Twilio-Signature": signature,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "public.example",
        },
    )
    assert response.status_code == 200
    unforwarded = app.test_client().post(
        "/sms",
        data=form,
        base_url="http://127.0.0.1:8000",
        headers={"X-Twilio-Signature": signature},
    )
    assert unforwarded.status_code == 403
    app.extensions["boneline"].db.dispose()


def test_health_check_answers(client: FlaskClient) -> None:
    assert client.get("/").json == {"service": "BoneLine", "status": "ok"}


def test_unknown_routes_and_methods_get_short_plain_errors(client: FlaskClient) -> None:
    assert client.get("/sms").status_code == 405
    missing = client.get("/nope")
    assert missing.status_code == 404 and missing.mimetype == "text/plain"


def test_an_oversized_webhook_body_is_refused_not_crashed(twilio_post: TwilioPost) -> None:
    response = twilio_post("/sms", sms_form("x" * 100_000))
    assert response.status_code == 413


LOG_PROBE = """
import logging, sys
{setup}
from service.web import create_app
create_app({{"DATABASE_URL": "sqlite:///" + sys.argv[1]}})
logging.getLogger("service.web.sms").info("text from %s answered", "***0143")
logging.getLogger("service.web.sms").debug("not shown at INFO")
"""


def run_log_probe(tmp_path: Path, setup: str = "") -> str:
    """What a fresh process that builds the app and logs one line prints to stderr."""
    probe = LOG_PROBE.format(setup=setup)
    database = str(tmp_path / "probe.sqlite3")
    done = subprocess.run(
        [sys.executable, "-c", probe, database], capture_output=True, text=True, check=True
    )
    return done.stderr


def test_the_web_app_logs_its_own_info_lines_where_nothing_set_up_logging(tmp_path: Path) -> None:
    stderr = run_log_probe(tmp_path)
    assert "INFO service.web.sms: text from ***0143 answered" in stderr
    assert "not shown" not in stderr


def test_the_web_app_leaves_a_hosts_logging_setup_alone(tmp_path: Path) -> None:
    setup = "logging.basicConfig(level=logging.DEBUG, format='HOST %(message)s')"
    stderr = run_log_probe(tmp_path, setup)
    assert "HOST text from ***0143 answered" in stderr
    assert "HOST not shown at INFO" in stderr
