"""Errors to Sentry when SENTRY_DSN is set, with phone numbers and people's words scrubbed out.

Every event passes through `scrub_event` before it leaves the process: request bodies, query
strings, cookies and most headers are dropped (texts, speech and phone-menu dates travel there),
every run of 7 or more digits anywhere is masked like a number in our logs (`***0143`), and
quoted text in exception messages and log lines (where Python puts the values it choked on) is
removed.
Local variables are never sent. ERROR log lines become events; INFO and WARNING lines are kept
as breadcrumbs (our log lines never hold numbers or words; they are scrubbed all the same).
"""

from __future__ import annotations

import logging
import re
from typing import Any, cast

import sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.transport import Transport
from sentry_sdk.types import Breadcrumb, BreadcrumbHint, Event, Hint

from service.config import Settings

log = logging.getLogger(__name__)

# Tests replace the transport to see exactly what would be sent.
TRANSPORT: Transport | None = None

# A phone number in any format: 7 or more digits, maybe with +, spaces, dots, dashes, brackets.
_DIGITS = re.compile(r"(?<![\w])\+?\d(?:[\s().\-]{0,2}\d){6,}")
# Quoted text in an exception message: `invalid literal for int(): 'my back hurts'`.
_QUOTED = re.compile(r"""'[^']*'|"[^"]*\"""")
KEPT_HEADERS = frozenset({"Content-Type", "Content-Length", "User-Agent", "Host"})
REMOVED = "[removed]"


def init_error_reports(settings: Settings, component: str) -> bool:
    """Send errors to Sentry when SENTRY_DSN is set; whether it is on."""
    if not settings.SENTRY_DSN:
        return False
    sentry_sdk.init(
        dsn=settings.SENTRY_DSN,
        environment=settings.SENTRY_ENVIRONMENT or None,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        integrations=[LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)],
        transport=TRANSPORT,
    )
    sentry_sdk.set_tag("component", component)
    log.info("errors are reported to Sentry (%s)", component)
    return True


def mask_digits(text: str) -> str:
    """Every run of 7 or more digits as `***` and its last 4 digits, as our logs show numbers."""
    return _DIGITS.sub(lambda found: "***" + re.sub(r"\D", "", found.group())[-4:], text)


def _scrub(value: Any) -> Any:
    """Mask digits in every string of a nested event structure."""
    if isinstance(value, str):
        return mask_digits(value)
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def _scrub_request(request: dict[str, Any]) -> dict[str, Any]:
    """Keep the method and path; drop what a person sent (body, query string, cookies)."""
    kept: dict[str, Any] = {key: request[key] for key in ("method", "url") if key in request}
    if "url" in kept:
        kept["url"] = str(kept["url"]).split("?", 1)[0]
    headers = request.get("headers") or {}
    kept["headers"] = {name: value for name, value in headers.items() if name in KEPT_HEADERS}
    if request.get("data") or request.get("query_string"):
        kept["data"] = REMOVED
    return kept


def scrub_event(sent: Event, _hint: Hint) -> Event | None:
    """What Sentry may keep of an event: no number, no words a person wrote or said."""
    event = cast(dict[str, Any], sent)
    if "request" in event:
        event["request"] = _scrub_request(event["request"])
    for exception in (event.get("exception") or {}).get("values") or []:
        if isinstance(exception.get("value"), str):
            exception["value"] = _QUOTED.sub(REMOVED, exception["value"])
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    entry = event.get("logentry")
    if isinstance(entry, dict):
        entry["params"] = [
            _QUOTED.sub(REMOVED, param) if isinstance(param, str) else param
            for param in entry.get("params") or []
        ]
        if isinstance(entry.get("formatted"), str):
            entry["formatted"] = _QUOTED.sub(REMOVED, entry["formatted"])
    event.pop("user", None)
    return cast(Event, _scrub(event))


def scrub_breadcrumb(sent: Breadcrumb, _hint: BreadcrumbHint) -> Breadcrumb | None:
    """Breadcrumbs (earlier log lines, HTTP calls) with digits masked and query strings cut."""
    crumb = sent
    data = crumb.get("data")
    if isinstance(data, dict):
        for key in ("url", "http.query", "http.fragment"):
            if key in data:
                data[key] = str(data[key]).split("?", 1)[0] if key == "url" else REMOVED
    return cast(Breadcrumb, _scrub(crumb))
