"""Settings: defaults in code, overridden by environment variables, then by a dict."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

TWILIO_API_BASE_URL = "https://api.twilio.com"


@dataclass(frozen=True)
class Settings:
    """Everything an operator can configure, by the environment variable of the same name."""

    DATABASE_URL: str = ""
    TWILIO_ACCOUNT_SID: str = ""
    TWILIO_AUTH_TOKEN: str = dataclasses.field(default="", repr=False)
    TWILIO_PHONE_NUMBER: str = ""
    TWILIO_MESSAGING_SERVICE_SID: str = ""
    TWILIO_API_BASE_URL: str = TWILIO_API_BASE_URL
    PUBLIC_BASE_URL: str = ""
    TRUSTED_PROXY_COUNT: int = 0
    # Names people read and hear. Each can be set per language (PROGRAM_NAME_ES, ...); a
    # language without its own falls back to the plain setting, then to the catalog's words for
    # that language ("your clinic", "su clínica": `words.setting_defaults` in messages/).
    PROGRAM_NAME: str = "BoneLine"
    PROGRAM_NAME_ES: str = ""
    ORGANIZATION_NAME: str = ""
    ORGANIZATION_NAME_ES: str = ""
    SUPPORT_CONTACT: str = ""
    SUPPORT_CONTACT_ES: str = ""
    DEFAULT_REGION: str = "US"
    CARE_TEAM_PHONE: str = ""
    # Given in every reply about thoughts of self-harm: the 988 Suicide & Crisis Lifeline (call
    # or text) and the National Maternal Mental Health Hotline. A clinic may give its own.
    CRISIS_LINE: str = "988"
    CRISIS_LINE_ES: str = ""
    MATERNAL_MENTAL_HEALTH_LINE: str = "1-833-852-6262"
    MATERNAL_MENTAL_HEALTH_LINE_ES: str = ""
    CARE_TEAM_PASSWORD: str = dataclasses.field(default="", repr=False)
    CARE_TEAM_ACCOUNTS: str = dataclasses.field(default="", repr=False)
    CARE_TEAM_WEBHOOK_URL: str = ""
    CARE_TEAM_WEBHOOK_SECRET: str = dataclasses.field(default="", repr=False)
    # 1: a person who tells us of a loss is also an alert for the care team to follow up (not
    # urgent: "a person may need support"); 0: only the kind reply and the consent log.
    CARE_TEAM_LOSS_FOLLOW_UP: int = 1
    CLINIC_TIME_ZONE: str = "America/New_York"
    # A care-page login ends after this many minutes without a click (the list's own
    # refreshing does not count); 12 hours is the most a login lasts in any case.
    CARE_IDLE_MINUTES: int = 30
    SECRET_KEY: str = dataclasses.field(default="", repr=False)
    # Local send windows as HH:MM-HH:MM ("" = no sends that day); clamped to 08:00-20:00.
    SEND_WINDOW_WEEKDAYS: str = "10:00-18:00"
    SEND_WINDOW_SATURDAY: str = "10:00-17:00"
    SEND_WINDOW_SUNDAY: str = ""
    # The account's messages-per-second limit, and how many REST calls may be in flight.
    SEND_RATE_PER_SECOND: int = 10
    SEND_CONCURRENCY: int = 8
    SEND_BATCH_SIZE: int = 500
    # A message this many hours past its planned time is skipped, never sent in a flood.
    MAX_LATENESS_HOURS: int = 4
    # Retries of one REST call on 429, 5xx or a connection refused, with backoff and jitter.
    SEND_MAX_RETRIES: int = 3
    TWILIO_TIMEOUT_SECONDS: int = 15
    # A row still "sending" this long after it was claimed belongs to a crashed sender.
    SENDING_STALE_MINUTES: int = 10
    # Unanswered reminder calls are tried again this many hours later, at most twice.
    CALL_RETRY_HOURS: int = 2
    # /readyz is 503 when the scheduler's last send pass is older than this.
    HEARTBEAT_MAX_AGE_MINUTES: int = 10
    # Errors and ERROR log lines go to Sentry when set (numbers and words scrubbed first).
    SENTRY_DSN: str = dataclasses.field(default="", repr=False)
    SENTRY_ENVIRONMENT: str = ""
    # Loop protection (`domain.loop_guard`): replies to a number pause for LOOP_PAUSE_MINUTES when,
    # within LOOP_WINDOW_MINUTES, it sends more than LOOP_LIMIT_MESSAGES texts, or the same (or
    # nearly the same) text more than LOOP_REPEAT_LIMIT times, or answers more than
    # LOOP_QUICK_REPLY_COUNT of our texts in a row within LOOP_QUICK_REPLY_SECONDS each.
    LOOP_WINDOW_MINUTES: int = 5
    LOOP_LIMIT_MESSAGES: int = 30
    LOOP_REPEAT_LIMIT: int = 12
    LOOP_QUICK_REPLY_SECONDS: int = 2
    LOOP_QUICK_REPLY_COUNT: int = 4
    LOOP_PAUSE_MINUTES: int = 5

    @property
    def demo_mode(self) -> bool:
        """Whether unsigned webhooks are accepted (no auth token configured)."""
        return not self.TWILIO_AUTH_TOKEN

    @property
    def can_send(self) -> bool:
        """Whether real Twilio credentials and a sender are configured."""
        has_sender = bool(self.TWILIO_PHONE_NUMBER or self.TWILIO_MESSAGING_SERVICE_SID)
        return bool(self.TWILIO_ACCOUNT_SID and self.TWILIO_AUTH_TOKEN and has_sender)

    @property
    def heartbeat_max_age(self) -> dt.timedelta:
        """How old the scheduler's last send pass may be before /readyz says not ready."""
        return dt.timedelta(minutes=self.HEARTBEAT_MAX_AGE_MINUTES)

    def public_url(self, path: str) -> str:
        """The absolute URL Twilio uses for one of our paths, or '' when unknown."""
        if not self.PUBLIC_BASE_URL:
            return ""
        return self.PUBLIC_BASE_URL.rstrip("/") + path


def default_database_url(instance_path: str | os.PathLike[str]) -> str:
    """A SQLite file in the instance folder: the embedded default."""
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'boneline.sqlite3'}"


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    instance_path: str | os.PathLike[str] = "instance",
) -> Settings:
    """Build settings from defaults, then the environment, then explicit overrides."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for field in fields(Settings):
        if field.name in environ:
            values[field.name] = _coerce(field, environ[field.name])
    for key, value in (overrides or {}).items():
        if key in Settings.__dataclass_fields__:
            values[key] = value
    settings = Settings(**values)
    if not settings.DATABASE_URL:
        settings = dataclasses.replace(settings, DATABASE_URL=default_database_url(instance_path))
    return settings


def _coerce(field: dataclasses.Field[Any], raw: str) -> Any:
    """Turn an environment string into the field's type."""
    if field.type in (int, "int"):
        return int(raw)
    return raw.strip()
