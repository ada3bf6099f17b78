"""The care team's webhook: a signed JSON POST about one escalation, retried while it is busy."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import requests

from service.config import Settings

log = logging.getLogger(__name__)


class Escalation(Protocol):
    """What an alert says about an escalation (never the number or the person's words)."""

    @property
    def id(self) -> int: ...
    @property
    def reason(self) -> str: ...
    @property
    def urgency(self) -> str | None: ...
    @property
    def source(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def stage(self) -> str | None: ...
    @property
    def created_at(self) -> dt.datetime: ...


SIGNATURE_HEADER = "X-BoneLine-Signature"
TIMESTAMP_HEADER = "X-BoneLine-Timestamp"
EVENT = "escalation.created"
TIMEOUT_SECONDS = 5.0
ATTEMPTS = 3
BACKOFF_SECONDS = 1.0
# Statuses worth trying again: the receiver is busy or broken, not refusing this alert.
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def escalation_payload(settings: Settings, escalation: Escalation) -> dict[str, Any]:
    """What the receiver is told: enough to act, never the number or the person's words."""
    path = f"/care/escalations/{escalation.id}"
    return {
        "event": EVENT,
        "escalation_id": escalation.id,
        "reason": escalation.reason,
        "urgency": escalation.urgency,
        "source": escalation.source,
        "language": escalation.language,
        "stage": escalation.stage,
        "created_at": escalation.created_at.replace(tzinfo=dt.UTC).isoformat(),
        "url": settings.public_url(path) or path,
    }


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over `<timestamp>.<raw body>`, as the signature header's value."""
    signed = timestamp.encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signature_is_valid(
    secret: str, timestamp: str, body: bytes, header: str, now: float, tolerance: float = 300
) -> bool:
    """What a receiver checks: the signature matches and the timestamp is recent (no replays)."""
    try:
        age = abs(now - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(signature(secret, timestamp, body), header)


def signed_request(
    secret: str, payload: dict[str, Any], now: float
) -> tuple[bytes, dict[str, str]]:
    """The raw JSON body and the headers that sign it at time `now` (Unix seconds)."""
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(now))
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }
    return body, headers


@dataclass(frozen=True)
class WebhookResult:
    """Whether the receiver took the alert (true as a bool), and if not, why, in a few words."""

    delivered: bool
    cause: str = ""

    def __bool__(self) -> bool:
        """True when the receiver answered 2xx."""
        return self.delivered


def post_escalation_webhook(
    settings: Settings,
    escalation: Escalation,
    *,
    http: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = ATTEMPTS,
) -> WebhookResult:
    """Post one escalation to CARE_TEAM_WEBHOOK_URL; delivered once the receiver answers 2xx."""
    if not settings.CARE_TEAM_WEBHOOK_URL:
        return WebhookResult(False, "CARE_TEAM_WEBHOOK_URL is not set")
    if not settings.CARE_TEAM_WEBHOOK_SECRET:
        log.error("CARE_TEAM_WEBHOOK_SECRET is not set; refusing to post an unsigned alert")
        return WebhookResult(False, "CARE_TEAM_WEBHOOK_SECRET is not set")
    payload = escalation_payload(settings, escalation)
    http = http or requests.Session()
    for attempt in range(1, attempts + 1):
        # Sign each attempt afresh so a slow retry still passes the receiver's age check.
        body, headers = signed_request(settings.CARE_TEAM_WEBHOOK_SECRET, payload, time.time())
        try:
            response = http.post(
                settings.CARE_TEAM_WEBHOOK_URL, data=body, headers=headers, timeout=TIMEOUT_SECONDS
            )
        except requests.RequestException as error:
            outcome = describe_request_error(error)
            retry = True
        else:
            if 200 <= response.status_code < 300:
                log.info("escalation %s alert posted (attempt %s)", escalation.id, attempt)
                return WebhookResult(True)
            outcome = f"HTTP {response.status_code}"
            retry = response.status_code in RETRY_STATUSES
        if not retry or attempt == attempts:
            return WebhookResult(False, outcome)
        pause = BACKOFF_SECONDS * 2 ** (attempt - 1)
        log.warning(
            "webhook alert for escalation %s: %s; trying again in %.0f s (try %s of %s)",
            escalation.id,
            outcome,
            pause,
            attempt,
            attempts,
        )
        sleep(pause)
    return WebhookResult(False, "no try made")


def describe_request_error(error: requests.RequestException) -> str:
    """A failed HTTP request in a few words: connection refused, a timeout, a dropped line."""
    if isinstance(error, requests.ConnectTimeout):
        return "timeout while connecting"
    if isinstance(error, requests.Timeout):
        return "timeout waiting for the answer"
    if isinstance(error, requests.ConnectionError):
        text = str(error)
        if "Connection refused" in text or "Errno 111" in text:
            return "connection refused"
        return "connection failed"
    return type(error).__name__
