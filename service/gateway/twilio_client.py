"""Build Twilio REST clients that can talk to Twilio or to a Twilio-compatible base URL."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from requests.adapters import HTTPAdapter
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from service.config import TWILIO_API_BASE_URL

DEFAULT_TIMEOUT_SECONDS = 10.0
# The same pool size TwilioHttpClient gives https://, so concurrent sends reuse connections.
_POOL_SIZE = 32

logger = logging.getLogger(__name__)


def _normalized_base_url(base_url: str) -> str:
    """Return the base URL without a trailing slash, or raise ValueError if it is unusable."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"Twilio API base URL must be http(s)://host[:port], got {base_url!r}")
    if parts.query or parts.fragment:
        raise ValueError("Twilio API base URL must not have a query or fragment")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def is_twilio_base_url(base_url: str) -> bool:
    """Whether the base URL is Twilio's own API host."""
    return _normalized_base_url(base_url) == TWILIO_API_BASE_URL


class PrivateLoggingHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio has no hints
    """A TwilioHttpClient that logs no query strings: they can hold phone numbers."""

    def log_request(self, kwargs: dict[str, Any]) -> None:
        """Log the method and path only."""
        self.logger.info("%s %s", kwargs["method"], urlsplit(kwargs["url"]).path)

    def close(self) -> None:
        """Close pooled connections."""
        if self.session is not None:
            self.session.close()


class BaseUrlHttpClient(PrivateLoggingHttpClient):
    """A TwilioHttpClient that sends every request to one base URL instead of Twilio's hosts."""

    def __init__(self, base_url: str, timeout: float | None = DEFAULT_TIMEOUT_SECONDS) -> None:
        """Send to base_url (scheme, host, port and an optional path prefix)."""
        super().__init__(timeout=timeout)
        self.base_url = _normalized_base_url(base_url)
        if self.session is not None:
            self.session.mount("http://", HTTPAdapter(pool_maxsize=_POOL_SIZE))

    def rewrite_url(self, url: str) -> str:
        """Replace the scheme and host of a Twilio URL with the base URL, keeping path and query."""
        base = urlsplit(self.base_url)
        original = urlsplit(url)
        return urlunsplit(
            (base.scheme, base.netloc, base.path + original.path, original.query, original.fragment)
        )

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Send the request to the base URL."""
        response: Response = super().request(
            method,
            self.rewrite_url(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )
        return response


def build_twilio_client(
    account_sid: str,
    auth_token: str,
    api_base_url: str = TWILIO_API_BASE_URL,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> Client:
    """Build a Twilio client for Twilio itself or for a Twilio-compatible base URL."""
    if is_twilio_base_url(api_base_url):
        http_client = PrivateLoggingHttpClient(timeout=timeout)
    else:
        http_client = BaseUrlHttpClient(api_base_url, timeout=timeout)
        logger.info("Twilio REST requests go to %s", http_client.base_url)
    return Client(account_sid, auth_token, http_client=http_client)
