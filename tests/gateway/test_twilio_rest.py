"""The Twilio REST client meets Twilio's contract (Prism) and surfaces faults (fake Twilio)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.rest.api.v2010.account.call import CallInstance
from twilio.rest.api.v2010.account.message import MessageInstance

from service.gateway.twilio_client import BaseUrlHttpClient, build_twilio_client
from tests.support.twilio_servers import (
    TEST_ACCOUNT_SID,
    TEST_AUTH_TOKEN,
    TEST_FROM_NUMBER,
    TEST_MESSAGING_SERVICE_SID,
    TEST_TO_NUMBER,
    FakeTwilio,
    PrismServer,
)

STATUS_CALLBACK = "https://boneline.example.org/twilio/status"
VOICE_URL = "https://boneline.example.org/voice"

ClientFactory = Callable[..., Client]


@pytest.fixture
def make_client() -> Iterator[ClientFactory]:
    """Build Twilio clients and close their connection pools afterwards."""
    clients: list[Client] = []

    def make(
        base_url: str,
        account_sid: str = TEST_ACCOUNT_SID,
        auth_token: str = TEST_AUTH_TOKEN,
        timeout: float = 5.0,
    ) -> Client:
        client = build_twilio_client(account_sid, auth_token, base_url, timeout=timeout)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.http_client.close()


@pytest.fixture
def prism_client(prism_twilio: PrismServer, make_client: ClientFactory) -> Client:
    """A client whose requests Prism validates against Twilio's OpenAPI description."""
    return make_client(prism_twilio.base_url)


@pytest.fixture
def fake_client(fake_twilio: FakeTwilio, make_client: ClientFactory) -> Client:
    """A client talking to the scriptable fake Twilio server."""
    return make_client(fake_twilio.base_url)


# --------------------------------------------------------------------------- base URL rewriting


def test_base_url_client_keeps_path_and_query_and_swaps_host() -> None:
    http_client = BaseUrlHttpClient("http://127.0.0.1:4010/", timeout=3)
    url = f"https://api.twilio.com/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Messages.json?PageSize=5"

    assert http_client.rewrite_url(url) == (
        f"http://127.0.0.1:4010/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Messages.json?PageSize=5"
    )
    assert http_client.timeout == 3
    http_client.close()


def test_base_url_client_keeps_a_gateway_path_prefix() -> None:
    http_client = BaseUrlHttpClient("https://gateway.example/twilio")

    rewritten = http_client.rewrite_url("https://messaging.twilio.com/v1/Services")

    assert rewritten == "https://gateway.example/twilio/v1/Services"
    http_client.close()


@pytest.mark.parametrize("bad_url", ["api.twilio.com", "ftp://host", "http://", "http://h/?q=1"])
def test_base_url_client_rejects_unusable_base_urls(bad_url: str) -> None:
    with pytest.raises(ValueError):
        BaseUrlHttpClient(bad_url)


def test_build_twilio_client_talks_to_twilio_directly_by_default(
    make_client: ClientFactory,
) -> None:
    client = make_client("https://api.twilio.com/", timeout=7)

    assert not isinstance(client.http_client, BaseUrlHttpClient)
    assert isinstance(client.http_client, TwilioHttpClient)
    assert client.http_client.timeout == 7


def test_build_twilio_client_rewrites_when_given_another_base_url(
    make_client: ClientFactory,
) -> None:
    client = make_client("http://127.0.0.1:4010", timeout=2.5)

    assert isinstance(client.http_client, BaseUrlHttpClient)
    assert client.http_client.base_url == "http://127.0.0.1:4010"
    assert client.http_client.timeout == 2.5


# --------------------------------------------------------------------------- Twilio's contract


def test_message_create_passes_twilio_contract_and_returns_message(prism_client: Client) -> None:
    response = prism_client.messages.create_with_http_info(
        to=TEST_TO_NUMBER,
        from_=TEST_FROM_NUMBER,
        body="Calcium today: a glass of milk or fortified soy drink.",
        status_callback=STATUS_CALLBACK,
    )

    assert response.status_code == 201
    assert isinstance(response.data, MessageInstance)
    # Prism answers with the spec's fixed example, so only the shape is meaningful.
    assert response.data.sid.startswith("SM")


def test_message_create_through_messaging_service_passes_twilio_contract(
    prism_client: Client,
) -> None:
    message = prism_client.messages.create(
        to=TEST_TO_NUMBER,
        messaging_service_sid=TEST_MESSAGING_SERVICE_SID,
        body="Vitamin D: ten minutes outside counts.",
        validity_period=3600,
    )

    assert message.sid.startswith("SM")


def test_call_create_with_status_events_and_machine_detection_passes_twilio_contract(
    prism_client: Client,
) -> None:
    response = prism_client.calls.create_with_http_info(
        to=TEST_TO_NUMBER,
        from_=TEST_FROM_NUMBER,
        url=VOICE_URL,
        method="POST",
        status_callback=STATUS_CALLBACK,
        status_callback_method="POST",
        status_callback_event=["initiated", "ringing", "answered", "completed"],
        # The spec types MachineDetection as a string; its description allows
        # `Enable` or `DetectMessageEnd`.
        machine_detection="DetectMessageEnd",
        timeout=30,
    )

    assert response.status_code == 201
    assert isinstance(response.data, CallInstance)
    assert response.data.sid.startswith("CA")


def test_prism_rejects_a_malformed_account_sid(
    prism_twilio: PrismServer, make_client: ClientFactory
) -> None:
    client = make_client(prism_twilio.base_url, account_sid="ACnot-a-real-sid")

    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=TEST_TO_NUMBER, from_=TEST_FROM_NUMBER, body="Hi")

    assert raised.value.status == 422


def test_prism_rejects_a_call_timeout_that_is_not_a_number(
    prism_client: Client,
) -> None:
    with pytest.raises(TwilioRestException) as raised:
        prism_client.calls.create(
            to=TEST_TO_NUMBER, from_=TEST_FROM_NUMBER, url=VOICE_URL, timeout="soon"
        )

    assert raised.value.status == 422


# --------------------------------------------------------------------------- faults


def test_opted_out_recipient_surfaces_as_twilio_error_21610(
    fake_twilio: FakeTwilio, fake_client: Client
) -> None:
    fake_twilio.queue_twilio_error(21610)

    with pytest.raises(TwilioRestException) as raised:
        fake_client.messages.create(
            to=TEST_TO_NUMBER,
            from_=TEST_FROM_NUMBER,
            body="Reminder",
            status_callback=STATUS_CALLBACK,
        )

    assert raised.value.code == 21610
    assert raised.value.status == 400
    (request,) = fake_twilio.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Messages.json"
    assert request.account_sid == TEST_ACCOUNT_SID
    assert request.params == {
        "To": TEST_TO_NUMBER,
        "From": TEST_FROM_NUMBER,
        "Body": "Reminder",
        "StatusCallback": STATUS_CALLBACK,
    }


def test_fake_twilio_answers_each_send_with_a_unique_message_sid(
    fake_twilio: FakeTwilio, fake_client: Client
) -> None:
    sids = {
        fake_client.messages.create(to=TEST_TO_NUMBER, from_=TEST_FROM_NUMBER, body="Hi").sid
        for _ in range(3)
    }

    assert len(sids) == 3
    assert all(sid.startswith("SM") and len(sid) == 34 for sid in sids)
    assert len(fake_twilio.message_requests()) == 3


def test_fake_twilio_records_repeated_status_callback_events(
    fake_twilio: FakeTwilio, fake_client: Client
) -> None:
    call = fake_client.calls.create(
        to=TEST_TO_NUMBER,
        from_=TEST_FROM_NUMBER,
        url=VOICE_URL,
        status_callback_event=["initiated", "completed"],
    )

    assert call.sid.startswith("CA")
    (request,) = fake_twilio.call_requests()
    assert request.form["StatusCallbackEvent"] == ["initiated", "completed"]


def test_fake_twilio_requires_a_sender_like_twilio(fake_client: Client) -> None:
    with pytest.raises(TwilioRestException) as raised:
        fake_client.messages.create(to=TEST_TO_NUMBER, body="Hi")

    assert raised.value.code == 21603


def test_wrong_auth_token_is_rejected_with_twilio_error_20003(
    fake_twilio: FakeTwilio, make_client: ClientFactory
) -> None:
    client = make_client(fake_twilio.base_url, auth_token="wrong-token")

    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=TEST_TO_NUMBER, from_=TEST_FROM_NUMBER, body="Hi")

    assert (raised.value.status, raised.value.code) == (401, 20003)
    assert fake_twilio.requests[0].account_sid is None


@pytest.mark.parametrize(("status", "code"), [(429, 20429), (500, 20500), (503, 20503)])
def test_http_errors_surface_with_their_status_and_are_not_retried(
    fake_twilio: FakeTwilio, fake_client: Client, status: int, code: int
) -> None:
    fake_twilio.queue_http_error(status)

    with pytest.raises(TwilioRestException) as raised:
        fake_client.messages.create(to=TEST_TO_NUMBER, from_=TEST_FROM_NUMBER, body="Hi")

    assert (raised.value.status, raised.value.code) == (status, code)
    assert len(fake_twilio.requests) == 1


def test_delay_longer_than_client_timeout_raises_a_timeout(
    fake_twilio: FakeTwilio, make_client: ClientFactory
) -> None:
    client = make_client(fake_twilio.base_url, timeout=0.3)
    fake_twilio.queue_delay(3.0)

    with pytest.raises(requests.exceptions.Timeout):
        client.messages.create(to=TEST_TO_NUMBER, from_=TEST_FROM_NUMBER, body="Hi")

    assert len(fake_twilio.message_requests()) == 1


def test_dropped_connection_raises_a_connection_error(
    fake_twilio: FakeTwilio, fake_client: Client
) -> None:
    fake_twilio.queue_dropped_connection()

    with pytest.raises(requests.exceptions.ConnectionError):
        fake_client.messages.create(to=TEST_TO_NUMBER, from_=TEST_FROM_NUMBER, body="Hi")


def test_scripted_faults_are_used_once_then_sends_succeed_again(
    fake_twilio: FakeTwilio, fake_client: Client
) -> None:
    fake_twilio.queue_http_error(503)

    with pytest.raises(TwilioRestException):
        fake_client.messages.create(to=TEST_TO_NUMBER, from_=TEST_FROM_NUMBER, body="Hi")
    message = fake_client.messages.create(to=TEST_TO_NUMBER, from_=TEST_FROM_NUMBER, body="Hi")

    assert message.status == "queued"
    assert fake_twilio.pending_script() == 0
    assert fake_client.messages(message.sid).fetch().sid == message.sid


def test_fixed_latency_delays_every_answer(fake_twilio: FakeTwilio, fake_client: Client) -> None:
    fake_twilio.set_latency(0.2)

    started = time.monotonic()
    for _ in range(2):
        fake_client.messages.create(to=TEST_TO_NUMBER, from_=TEST_FROM_NUMBER, body="Hi")

    assert time.monotonic() - started >= 0.4
