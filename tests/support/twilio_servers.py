"""Pytest plugin: Twilio's REST contract offline, through Prism and a scriptable fake server.

Load it with `pytest_plugins = ["tests.support.twilio_servers"]`. Fixtures:
- `prism_twilio` (session): Prism serving Twilio's OpenAPI description; validates every request.
- `fake_twilio` (function): our own Twilio-compatible server that records requests and can be
  scripted to answer with Twilio errors, HTTP 429/5xx, delays, dropped connections, one SID
  for several sends or a body that is not JSON, and can go down (connection refused) and come
  back on the same port.

When Prism is missing, the `prism_twilio` fixture runs `npm ci` in tests/twilio_spec/ (the pinned
package.json and package-lock.json live there) and `tests/twilio_spec/fetch_spec.py` fetches
Twilio's description; CI sets BONELINE_REQUIRE_PRISM=1, so a missing Prism fails instead of
skipping. Prism is pinned to 5.14.2:
5.15 and later need Node 24, and Debian's Node is 20.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import itertools
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.twilio_spec.fetch_spec import NODE_TOOLS_DIR, PATCHED_SPEC, SpecUnavailable
from tests.twilio_spec.fetch_spec import fetch_patched_spec as _fetch_patched_spec

TEST_ACCOUNT_SID = "AC" + "b0e1" * 8
TEST_AUTH_TOKEN = "0123456789abcdef" * 2
TEST_MESSAGING_SERVICE_SID = "MG" + "b0e1" * 8
# Twilio's magic "valid From" test number.
TEST_FROM_NUMBER = "+15005550006"
# 555-01xx numbers are reserved for fiction.
TEST_TO_NUMBER = "+16175550123"

REQUIRE_PRISM_VARIABLE = "BONELINE_REQUIRE_PRISM"
PRISM_BIN = NODE_TOOLS_DIR / "node_modules" / ".bin" / "prism"
PRISM_START_TIMEOUT_SECONDS = 60.0
NPM_CI_TIMEOUT_SECONDS = 600.0
TWILIO_ERROR_DOCS = "https://www.twilio.com/docs/errors/"
API_VERSION = "2010-04-01"


# --------------------------------------------------------------------------- Prism


@dataclass(frozen=True)
class PrismServer:
    """A running Prism mock of Twilio's 2010-04-01 REST API."""

    base_url: str
    spec_path: Path
    log_path: Path
    startup_seconds: float


def _prism_unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it when CI requires Prism."""
    if os.environ.get(REQUIRE_PRISM_VARIABLE) == "1":
        pytest.fail(f"{REQUIRE_PRISM_VARIABLE}=1 but Prism is unavailable: {reason}", pytrace=False)
    pytest.skip(f"Prism is unavailable: {reason}")


def _ensure_prism_installed() -> None:
    """Install the pinned npm packages with `npm ci` when Prism is missing."""
    if PRISM_BIN.exists():
        return
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        _prism_unavailable("node and npm are not installed")
    try:
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=NODE_TOOLS_DIR,
            capture_output=True,
            text=True,
            timeout=NPM_CI_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        _prism_unavailable(f"npm ci took over {NPM_CI_TIMEOUT_SECONDS:.0f} s")
    if result.returncode != 0 or not PRISM_BIN.exists():
        _prism_unavailable(f"npm ci failed: {result.stderr.strip()[-2000:]}")


def _ensure_spec() -> Path:
    """Fetch and patch Twilio's OpenAPI description when it is missing or stale."""
    try:
        return _fetch_patched_spec(PATCHED_SPEC)
    except (SpecUnavailable, OSError) as error:
        _prism_unavailable(f"cannot get Twilio's OpenAPI description: {error}")


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers_http(host: str, port: int) -> bool:
    """Whether an HTTP server answers on host:port."""
    connection = http.client.HTTPConnection(host, port, timeout=1.0)
    try:
        connection.request("GET", "/")
        connection.getresponse().read()
    except OSError:
        return False
    finally:
        connection.close()
    return True


def _log_tail(path: Path, characters: int = 3000) -> str:
    """The end of a log file, for error messages."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-characters:]
    except OSError:
        return ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a child process, killing it if it does not stop."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def prism_twilio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrismServer]:
    """Prism serving Twilio's OpenAPI description on a free 127.0.0.1 port."""
    _ensure_prism_installed()
    spec_path = _ensure_spec()
    host, port = "127.0.0.1", _free_port()
    log_path = tmp_path_factory.mktemp("prism") / "prism.log"
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(PRISM_BIN), "mock", "-h", host, "-p", str(port), str(spec_path)],
            cwd=NODE_TOOLS_DIR,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        while not _answers_http(host, port):
            if process.poll() is not None:
                _prism_unavailable(f"Prism exited with {process.returncode}: {_log_tail(log_path)}")
            if time.monotonic() - started > PRISM_START_TIMEOUT_SECONDS:
                _prism_unavailable(f"Prism did not answer within {PRISM_START_TIMEOUT_SECONDS} s")
            time.sleep(0.05)
        yield PrismServer(
            base_url=f"http://{host}:{port}",
            spec_path=spec_path,
            log_path=log_path,
            startup_seconds=time.monotonic() - started,
        )
    finally:
        _stop(process)


# --------------------------------------------------------------------------- fake Twilio


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake Twilio server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    account_sid: str | None
    received_at: float

    @property
    def params(self) -> dict[str, str]:
        """The form parameters, first value of each."""
        return {name: values[0] for name, values in self.form.items()}


@dataclass(frozen=True)
class ScriptedResponse:
    """What the fake answers to one request; body None means Twilio's normal success answer.

    `sid` makes a success answer carry that SID; `raw` answers those bytes instead of JSON.
    """

    status: int = 0
    body: dict[str, Any] | None = None
    delay_seconds: float = 0.0
    drop_connection: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    sid: str | None = None
    raw: bytes | None = None


def twilio_error_body(code: int, status: int, message: str) -> dict[str, Any]:
    """A REST error body exactly as Twilio sends it."""
    return {
        "code": code,
        "message": message,
        "more_info": f"{TWILIO_ERROR_DOCS}{code}",
        "status": status,
    }


_HTTP_ERROR_DEFAULTS = {
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    503: (20503, "Service Unavailable"),
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Room for a burst of concurrent sends in benchmarks.
    request_queue_size = 128


class FakeTwilio:
    """A Twilio-compatible REST server in a thread: records requests, answers as scripted."""

    def __init__(
        self, account_sid: str = TEST_ACCOUNT_SID, auth_token: str = TEST_AUTH_TOKEN
    ) -> None:
        """Accept Basic auth with these credentials only, like Twilio."""
        self.account_sid = account_sid
        self._auth_token = auth_token
        self.latency_seconds = 0.0
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._script: deque[ScriptedResponse] = deque()
        self._resources: dict[str, dict[str, Any]] = {}
        self._stopping = threading.Event()
        self._server: _Server | None = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = self._serving_thread(self._server)
        host, port = self._server.server_address[:2]
        self.port = int(port)
        self.base_url = f"http://{host!s}:{port}"

    @staticmethod
    def _serving_thread(server: _Server) -> threading.Thread:
        return threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-twilio",
            daemon=True,
        )

    def start(self) -> FakeTwilio:
        """Start serving."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wake any scripted delay."""
        self._stopping.set()
        self._close()

    def _close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def go_down(self) -> None:
        """Stop listening: every request is refused (connection refused), as in an outage."""
        self._close()

    def come_back(self) -> None:
        """Listen again on the same port, with everything recorded so far kept."""
        if self._server is None:
            self._server = _Server(("127.0.0.1", self.port), _handler_for(self))
            self._thread = self._serving_thread(self._server)
            self._thread.start()

    # Scripting: each queued answer is used by one request, in order; then success again.

    def queue_success(self, times: int = 1) -> None:
        """Answer the next requests as Twilio does when all is well (201 with the resource)."""
        self._queue(ScriptedResponse(), times)

    def queue_twilio_error(
        self, code: int, status: int = 400, message: str | None = None, times: int = 1
    ) -> None:
        """Answer the next requests with Twilio's error body, e.g. 21610 for an opted-out number."""
        text = message or _ERROR_MESSAGES.get(code, f"Twilio error {code}")
        self._queue(ScriptedResponse(status, twilio_error_body(code, status, text)), times)

    def queue_http_error(self, status: int, times: int = 1, retry_after: int | None = None) -> None:
        """Answer the next requests with HTTP 429, 500 or 503 and Twilio's error body."""
        code, text = _HTTP_ERROR_DEFAULTS.get(status, (status, "Error"))
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = twilio_error_body(code, status, text)
        self._queue(ScriptedResponse(status, body, headers=headers), times)

    def queue_sid(self, sid: str, times: int = 1) -> None:
        """Answer the next requests with success, each carrying this same SID (a broken gateway)."""
        self._queue(ScriptedResponse(sid=sid), times)

    def queue_raw(
        self, raw: bytes, status: int = 201, content_type: str = "text/html", times: int = 1
    ) -> None:
        """Answer the next requests with these bytes instead of Twilio's JSON."""
        headers = {"Content-Type": content_type}
        self._queue(ScriptedResponse(status, raw=raw, headers=headers), times)

    def queue_delay(self, seconds: float, times: int = 1) -> None:
        """Hold the next requests this long before answering with success (provokes timeouts)."""
        self._queue(ScriptedResponse(delay_seconds=seconds), times)

    def queue_dropped_connection(self, times: int = 1) -> None:
        """Read the next requests, then close the connection without answering."""
        self._queue(ScriptedResponse(drop_connection=True), times)

    def set_latency(self, seconds: float) -> None:
        """Add this much latency to every answer, like a real round trip to Twilio."""
        self.latency_seconds = seconds

    # What was received.

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def message_requests(self) -> list[RecordedRequest]:
        """The requests that tried to send a message."""
        return [
            r for r in self.requests if r.method == "POST" and r.path.endswith("/Messages.json")
        ]

    def call_requests(self) -> list[RecordedRequest]:
        """The requests that tried to start a call."""
        return [r for r in self.requests if r.method == "POST" and r.path.endswith("/Calls.json")]

    def pending_script(self) -> int:
        """How many scripted answers have not been used yet."""
        with self._lock:
            return len(self._script)

    # Internals used by the request handler.

    def _posts_to(self, suffix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith(suffix)]

    def _queue(self, response: ScriptedResponse, times: int) -> None:
        with self._lock:
            self._script.extend(itertools.repeat(response, times))

    def _record(self, request: RecordedRequest) -> ScriptedResponse:
        with self._lock:
            self._requests.append(request)
            return self._script.popleft() if self._script else ScriptedResponse()

    def _authenticated(self, authorization: str | None) -> str | None:
        """The account SID from a valid Basic auth header, or None."""
        if not authorization or not authorization.startswith("Basic "):
            return None
        try:
            decoded = base64.b64decode(authorization[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        sid, _, token = decoded.partition(":")
        return sid if (sid, token) == (self.account_sid, self._auth_token) else None

    def _sleep(self, seconds: float) -> bool:
        """Wait, returning False if the server is stopping."""
        return not self._stopping.wait(seconds) if seconds > 0 else True

    def _success(self, request: RecordedRequest) -> tuple[int, dict[str, Any]]:
        """Twilio's normal answer to a request."""
        parts = request.path.split("/")
        prefix = f"/{API_VERSION}/Accounts/{self.account_sid}/"
        if not request.path.startswith(prefix):
            return 404, twilio_error_body(20404, 404, "The requested resource was not found")
        resource = request.path[len(prefix) :]
        if request.method == "POST" and resource == "Messages.json":
            return _create_message(self.account_sid, request.params, request.form)
        if request.method == "POST" and resource == "Calls.json":
            return _create_call(self.account_sid, request.params)
        if request.method == "GET" and len(parts) == 6:
            sid = parts[5].removesuffix(".json")
            with self._lock:
                found = self._resources.get(sid)
            if found is not None:
                return 200, found
        return 404, twilio_error_body(20404, 404, "The requested resource was not found")

    def _remember(self, body: dict[str, Any]) -> None:
        sid = body.get("sid")
        if isinstance(sid, str):
            with self._lock:
                self._resources[sid] = body


_ERROR_MESSAGES = {
    20003: "Authenticate",
    21211: "Invalid 'To' Phone Number",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    30007: "Message filtered",
}


def _now() -> str:
    """The current time as Twilio writes dates (RFC 2822)."""
    return formatdate(usegmt=True).replace("GMT", "+0000")


def _new_sid(prefix: str) -> str:
    """A unique Twilio-style SID: two letters and 32 hex digits."""
    return prefix + uuid.uuid4().hex


def _create_message(
    account_sid: str, params: dict[str, str], form: dict[str, list[str]]
) -> tuple[int, dict[str, Any]]:
    """Validate a Messages create request the way Twilio does and build its 201 answer."""
    if not params.get("To"):
        return 400, twilio_error_body(21604, 400, "A 'To' phone number is required.")
    if not params.get("From") and not params.get("MessagingServiceSid"):
        return 400, twilio_error_body(21603, 400, "A 'From' phone number is required.")
    if not (params.get("Body") or form.get("MediaUrl") or params.get("ContentSid")):
        return 400, twilio_error_body(21602, 400, "Message body is required.")
    sid, now = _new_sid("SM"), _now()
    base = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}"
    return 201, {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": params.get("Body", ""),
        "date_created": now,
        "date_sent": None,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": params.get("From"),
        "messaging_service_sid": params.get("MessagingServiceSid"),
        "num_media": str(len(form.get("MediaUrl", []))),
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued" if params.get("From") else "accepted",
        "subresource_uris": {"media": f"{base}/Media.json"},
        "to": params["To"],
        "uri": f"{base}.json",
    }


def _create_call(account_sid: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """Validate a Calls create request the way Twilio does and build its 201 answer."""
    if not params.get("To"):
        return 400, twilio_error_body(21201, 400, "No 'To' number is specified")
    if not params.get("From"):
        return 400, twilio_error_body(21213, 400, "No 'From' number is specified")
    if not (params.get("Url") or params.get("Twiml") or params.get("ApplicationSid")):
        return 400, twilio_error_body(21205, 400, "Url parameter is required.")
    sid, now = _new_sid("CA"), _now()
    return 201, {
        "account_sid": account_sid,
        "answered_by": None,
        "api_version": API_VERSION,
        "caller_name": None,
        "date_created": now,
        "date_updated": now,
        "direction": "outbound-api",
        "duration": None,
        "end_time": None,
        "from": params["From"],
        "from_formatted": params["From"],
        "parent_call_sid": None,
        "phone_number_sid": None,
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "start_time": None,
        "status": "queued",
        "subresource_uris": {},
        "to": params["To"],
        "to_formatted": params["To"],
        "uri": f"/{API_VERSION}/Accounts/{account_sid}/Calls/{sid}.json",
    }


def _handler_for(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one fake server."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def do_DELETE(self) -> None:
            self._handle()

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet: request lines are recorded, and bodies hold phone numbers."""

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8") if length else ""
            url = urlsplit(self.path)
            account_sid = fake._authenticated(self.headers.get("Authorization"))
            request = RecordedRequest(
                method=self.command,
                path=url.path,
                query=parse_qs(url.query, keep_blank_values=True),
                form=parse_qs(raw, keep_blank_values=True),
                account_sid=account_sid,
                received_at=time.monotonic(),
            )
            script = fake._record(request)
            if not fake._sleep(fake.latency_seconds + script.delay_seconds):
                self.close_connection = True
                return
            if script.drop_connection:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if account_sid is None:
                status, body = 401, twilio_error_body(20003, 401, _ERROR_MESSAGES[20003])
            elif script.raw is not None:
                self._send(script.status, script.raw, script.headers)
                return
            elif script.body is not None:
                status, body = script.status, script.body
            else:
                status, body = fake._success(request)
                if status < 300:
                    if script.sid is not None:
                        body = {**body, "sid": script.sid}
                    fake._remember(body)
            self._send_json(status, body, script.headers)

        def _send_json(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
            json_type = {"Content-Type": "application/json; charset=utf-8"}
            self._send(status, json.dumps(body).encode(), {**json_type, **headers})

        def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                # The client gave up (a timeout test): nothing to answer to.
                self.close_connection = True

    return Handler


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A fresh fake Twilio REST server on a free 127.0.0.1 port."""
    server = FakeTwilio().start()
    try:
        yield server
    finally:
        server.stop()
