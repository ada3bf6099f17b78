"""The care team page in a real headless Chromium: log in, see a new escalation, handle it.

Uses Debian's `chromium` through Playwright (never `playwright install`). Skipped when the
browser is missing, unless BONELINE_REQUIRE_BROWSER=1 (CI sets it). Screenshots of every view,
at normal size and at 200% zoom, go to BONELINE_SCREENSHOT_DIR (default /tmp/care-*.png).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from service.domain.clock import utcnow
from service.store import escalations
from service.store.db import Database, upgrade
from service.store.models import (
    CareContact,
    ConsentEvent,
    Escalation,
    Message,
    PlannedMessage,
    Subscriber,
)
from service.vocabulary import (
    ConsentAction,
    ContactKind,
    Direction,
    PlanStatus,
    StaffRole,
    Stage,
    Status,
)
from service.web import create_app
from tests.conftest import app_config, twilio_signature
from tests.support.care_helpers import (
    NURSE_PASSWORD,
    PERSON_PHONE,
    SHARED_PASSWORD,
    add_escalation,
    add_staff,
    use_fast_password_hashing,
)
from tests.support.sms_helpers import sms_form
from tests.support.twilio_servers import TEST_ACCOUNT_SID, TEST_FROM_NUMBER, FakeTwilio

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("BONELINE_SCREENSHOT_DIR", "/tmp"))

playwright_sync: Any
try:
    from playwright import sync_api as playwright_sync
except ImportError:  # pragma: no cover - the test extra installs it
    playwright_sync = None


def browser_missing_reason() -> str | None:
    """Why the browser test cannot run here, or None when it can."""
    if playwright_sync is None:
        return "playwright is not installed (pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium, once for this module."""
    reason = browser_missing_reason()
    if reason:
        if os.environ.get("BONELINE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"the browser test is required but cannot run: {reason}")
        pytest.skip(reason)
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def live_database(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database for the served app (one backend is enough for a browser)."""
    url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


@pytest.fixture
def live_url(live_database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app served on a free loopback port from a thread."""
    use_fast_password_hashing(monkeypatch)
    app: Flask = create_app(
        app_config(
            live_database.url,
            PUBLIC_BASE_URL="",
            CARE_TEAM_PASSWORD=SHARED_PASSWORD,
            SECRET_KEY="browser test key",
            CARE_POLL_SECONDS=1,
        )
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["boneline"].db.dispose()


def seed(database: Database) -> int:
    """Subscribers, some weeks of texts and opt-outs, and one escalation already open."""
    now = utcnow()
    statuses = ["delivered"] * 6 + ["failed", "undelivered", "sent", "replied"]
    with database.Session.begin() as session:
        for week in range(8):
            for n in range(4 + 3 * (week % 4)):
                session.add(
                    Message(
                        phone="+12125550001",
                        direction=Direction.OUTBOUND,
                        status=statuses[(n + week) % len(statuses)],
                        created_at=now - dt.timedelta(weeks=week, hours=n),
                    )
                )
            if week % 3 == 1:
                session.add(
                    ConsentEvent(
                        phone="+12125550009",
                        action=ConsentAction.OPT_OUT,
                        channel="sms",
                        disclosure_id="stop",
                        disclosure_version="1",
                        language="en",
                        occurred_at=now - dt.timedelta(weeks=week),
                    )
                )
        session.add_all(
            [
                Subscriber(phone="+12125550001", status=Status.ACTIVE, stage=Stage.PREGNANT),
                Subscriber(
                    phone="+12125550002",
                    status=Status.ACTIVE,
                    stage=Stage.POSTPARTUM,
                    language="es",
                ),
            ]
        )
    return add_escalation(
        database,
        phone="+13055550199",
        detail="me cai en la escalera",
        reason="fall",
        language="es",
        stage="pregnant",
        created_at=utcnow() - dt.timedelta(hours=2),
    )


def shoot(page: Any, name: str) -> None:
    """Save a full-page screenshot of the current view."""
    page.screenshot(path=str(SCREENSHOTS / f"care-{name}.png"), full_page=True)


def heading_levels(page: Any) -> list[int]:
    """The page's heading levels in document order (what a screen reader's list shows)."""
    levels: list[int] = page.eval_on_selector_all(
        "h1, h2, h3, h4, h5, h6", "els => els.map(e => Number(e.tagName[1]))"
    )
    return levels


def assert_accessible_basics(page: Any) -> None:
    """One h1 first, no skipped levels, every field labelled, landmarks present."""
    levels = heading_levels(page)
    assert levels[0] == 1 and levels.count(1) == 1, levels
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
    unlabelled = page.eval_on_selector_all(
        "input:not([type=hidden]), textarea, select",
        "els => els.filter(e => e.labels.length === 0).map(e => e.name)",
    )
    assert unlabelled == []
    assert page.locator("main").count() == 1
    assert page.locator("header").count() == 1


def fits_without_sideways_scrolling(page: Any) -> bool:
    """Whether the page is no wider than the window (reflow at 200% zoom)."""
    result: bool = page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth + 1"
    )
    return result


def test_staff_see_a_new_escalation_arrive_and_handle_it(
    browser: Any, live_url: str, live_database: Database
) -> None:
    expect = playwright_sync.expect
    older = seed(live_database)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: list[str] = []  # script errors and Content-Security-Policy refusals
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{live_url}/care")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to the care team page")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    assert_accessible_basics(page)
    shoot(page, "login")

    page.get_by_label("Your name").fill("Nurse Ana")
    page.get_by_label("Password").fill(SHARED_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open escalations")
    expect(page.locator(f'tr[data-id="{older}"]')).to_be_visible()
    assert_accessible_basics(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Handled escalations")).to_be_focused()
    shoot(page, "focus")

    newer = add_escalation(live_database, phone="+12125550143", created_at=utcnow())
    new_row = page.locator(f'tr[data-id="{newer}"]')
    expect(new_row).to_be_visible(timeout=10_000)
    expect(page.locator("#announcer")).to_have_text("1 new escalation. 2 open.")
    expect(page.locator("tbody tr").first).to_have_attribute("data-id", str(newer))
    assert "2125550143" not in page.content()
    expect(new_row).to_contain_text("***0143")
    shoot(page, "open")

    new_row.get_by_role("link", name=re.compile(f"^Severe back pain.*escalation {newer}$")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Escalation {newer}")
    assert_accessible_basics(page)
    shoot(page, "detail")
    page.get_by_label("What you did").fill("Called back; advised urgent care today.")
    page.get_by_role("button", name="Mark handled").click()
    expect(page.get_by_role("status")).to_contain_text(f"Escalation {newer} is marked handled.")
    expect(page.locator(f'tr[data-id="{newer}"]')).to_have_count(0)

    page.get_by_role("link", name="Handled escalations").click()
    page.get_by_label("Last digits of the number").fill("0143")
    page.get_by_role("button", name="Search").click()
    handled_row = page.locator(f'#handled-escalations tr[data-id="{newer}"]')
    expect(handled_row).to_contain_text("advised urgent care")
    expect(handled_row).to_contain_text("by Nurse Ana")
    assert_accessible_basics(page)
    shoot(page, "handled")

    page.get_by_role("link", name="Program at a glance").click()
    expect(page.get_by_role("table", name="Active, by stage")).to_contain_text("Pregnant")
    assert_accessible_basics(page)
    shoot(page, "program")

    with live_database.Session() as session:
        handled = session.get(Escalation, newer)
        assert handled is not None and handled.handled_by == "Nurse Ana"
    assert problems == []
    context.close()


def test_every_view_reflows_at_200_percent_zoom(
    browser: Any, live_url: str, live_database: Database
) -> None:
    escalation_id = seed(live_database)
    add_escalation(
        live_database,
        detail="the pain is so bad",
        handled_at=utcnow(),
        handled_by="Bo",
        note="Called back",
    )
    # A 1280 x 800 window at 200% zoom lays out like a 640 x 400 one with doubled pixels.
    context = browser.new_context(viewport={"width": 640, "height": 400}, device_scale_factor=2)
    page = context.new_page()
    page.goto(f"{live_url}/care/login")
    assert fits_without_sideways_scrolling(page)
    shoot(page, "login-zoom200")
    page.get_by_label("Your name").fill("Ana")
    page.get_by_label("Password").fill(SHARED_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect = playwright_sync.expect
    expect(page.get_by_role("heading", level=1)).to_have_text("Open escalations")
    views = {
        "open": "/care",
        "detail": f"/care/escalations/{escalation_id}",
        "handled": "/care/handled",
        "program": "/care/program",
    }
    for name, path in views.items():
        page.goto(f"{live_url}{path}")
        assert fits_without_sideways_scrolling(page), name
        shoot(page, f"{name}-zoom200")
    context.close()


def test_an_alert_that_could_not_be_sent_is_a_red_banner_that_reflows(
    browser: Any, live_url: str, live_database: Database
) -> None:
    escalation_id = seed(live_database)
    with live_database.Session.begin() as session:
        escalations.note_webhook_failure(session, escalation_id, utcnow(), "connection refused")
    expect = playwright_sync.expect
    for name, viewport, scale in (("alert", 1280, 1), ("alert-zoom200", 640, 2)):
        context = browser.new_context(
            viewport={"width": viewport, "height": 800 // scale}, device_scale_factor=scale
        )
        page = context.new_page()
        page.goto(f"{live_url}/care/login")
        page.get_by_label("Your name").fill("Ana")
        page.get_by_label("Password").fill(SHARED_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        banner = page.get_by_role("alert")
        expect(banner).to_contain_text("1 care-team alert could not be sent.")
        expect(page.locator("#status-line")).to_contain_text("Failed alerts: 1.")
        banner.get_by_role("link", name=f"Escalation {escalation_id}").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Escalation {escalation_id}")
        assert_accessible_basics(page)
        assert fits_without_sideways_scrolling(page)
        shoot(page, name)
        context.close()


@pytest.fixture
def reach_url(
    live_database: Database, fake_twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The app served from a thread, sending texts and calls to the fake Twilio server."""
    use_fast_password_hashing(monkeypatch)
    app: Flask = create_app(
        app_config(
            live_database.url,
            PUBLIC_BASE_URL="",
            CARE_TEAM_PASSWORD=SHARED_PASSWORD,
            SECRET_KEY="browser test key",
            CARE_POLL_SECONDS=1,
            TWILIO_ACCOUNT_SID=TEST_ACCOUNT_SID,
            TWILIO_PHONE_NUMBER=TEST_FROM_NUMBER,
            TWILIO_API_BASE_URL=fake_twilio.base_url,
        )
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["boneline"].db.dispose()


def text_in(url: str, phone: str, body: str) -> None:
    """The person texts BoneLine: Twilio's signed POST to /sms."""
    form = sms_form(body, phone=phone)
    request = urllib.request.Request(
        f"{url}/sms",
        data=urllib.parse.urlencode(form).encode(),
        headers={"X-Twilio-Signature": twilio_signature(f"{url}/sms", form)},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def seed_figures(database: Database, staff_id: int) -> None:
    """Some weeks of handled escalations reached from the page, and answered check-ins."""
    now = utcnow()
    reasons = ["severe_back_pain", "fall", "chest_pain", "severe_back_pain", "headache_vision"]
    with database.Session.begin() as session:
        people = [
            Subscriber(phone=f"+1212555030{n}", status=Status.ACTIVE, stage=Stage.POSTPARTUM)
            for n in range(6)
        ]
        session.add_all(people)
        session.flush()
        for week in range(1, 5):
            for n, reason in enumerate(reasons[: 2 + week % 3]):
                reported = now - dt.timedelta(weeks=week, hours=n * 5)
                escalation = Escalation(
                    phone=f"+1212555030{n}",
                    source="text",
                    reason=reason,
                    detail="(seeded)",
                    created_at=reported,
                    handled_at=reported + dt.timedelta(minutes=40 + 25 * n * week),
                    handled_by="Ana",
                    note="called back",
                )
                session.add(escalation)
                session.flush()
                session.add(
                    CareContact(
                        escalation_id=escalation.id,
                        staff_id=staff_id,
                        kind=ContactKind.CALL,
                        created_at=reported + dt.timedelta(minutes=4 + 3 * n + week),
                    )
                )
            for n, person in enumerate(people):
                sent_at = now - dt.timedelta(weeks=week, days=1)
                session.add(
                    PlannedMessage(
                        subscriber_id=person.id,
                        item_key=f"checkin.week{week}",
                        local_date=sent_at.date(),
                        send_at=sent_at,
                        window_end=sent_at + dt.timedelta(hours=6),
                        message_id="checkin.back_pain",
                        status=PlanStatus.SENT,
                    )
                )
                if n % 3 < 2:
                    session.add(
                        Message(
                            subscriber_id=person.id,
                            phone=person.phone,
                            direction=Direction.OUTBOUND,
                            message_id="checkin_reply.pain" if n == 0 else "checkin_reply.no_pain",
                            status="replied",
                            created_at=sent_at + dt.timedelta(hours=2),
                        )
                    )


def log_in_as(page: Any, url: str, name: str, password: str) -> None:
    """Log in through the form."""
    page.goto(f"{url}/care/login")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    playwright_sync.expect(page.get_by_role("heading", level=1)).to_have_text("Open escalations")


def test_a_nurse_shows_the_number_texts_the_person_and_sees_the_reply_arrive(
    browser: Any, reach_url: str, live_database: Database, fake_twilio: FakeTwilio
) -> None:
    expect = playwright_sync.expect
    seed(live_database)
    add_staff(live_database, "Ana", StaffRole.NURSE)
    escalation = add_escalation(
        live_database,
        phone=PERSON_PHONE,
        detail="my back hurts so much I cannot stand",
        created_at=utcnow() - dt.timedelta(minutes=6),
        alerted_at=utcnow() - dt.timedelta(minutes=5),
    )
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    log_in_as(page, reach_url, "Ana", NURSE_PASSWORD)
    expect(page.locator("header")).to_contain_text("Logged in as Ana (nurse)")
    row = page.locator(f'tr[data-id="{escalation}"]')
    expect(row).to_contain_text("***0143")
    row.get_by_role("link", name=re.compile(f"escalation {escalation}$")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Escalation {escalation}")
    assert "2125550143" not in page.content()
    assert_accessible_basics(page)
    shoot(page, "reach-detail")

    page.get_by_role("button", name="Show number").click()
    tel = page.locator("#reach a.tel")
    expect(tel).to_have_text("+1 212-555-0143")
    expect(tel).to_have_attribute("href", "tel:+12125550143")
    expect(page.locator("#timeline")).to_contain_text("First viewed")

    words = page.get_by_label(re.compile("^Your text"))
    words.fill("How is your back now? We can call you today.")
    expect(page.locator("#words-count")).to_contain_text("characters left")
    page.get_by_role("button", name="Send text").click()
    expect(page.get_by_role("status")).to_contain_text("Your text was sent.")
    thread = page.locator("#thread")
    expect(thread.locator('li[data-kind="care_text"]')).to_contain_text(
        "BoneLine care team: How is your back now? We can call you today."
    )
    expect(thread.locator('li[data-kind="care_text"]')).to_contain_text("Text from Ana")
    (sent,) = fake_twilio.message_requests()
    assert sent.params["To"] == PERSON_PHONE and sent.params["From"] == TEST_FROM_NUMBER
    expect(page.locator("#timeline")).to_contain_text("a text by Ana")

    # The person answers; the page shows it without a reload, newest last.
    text_in(reach_url, PERSON_PHONE, "Better today, thank you for asking")
    reply = thread.locator('li[data-kind="person"]').last
    expect(reply).to_contain_text("Better today, thank you for asking", timeout=10_000)
    expect(page.locator("#thread-announcer")).to_have_text("1 new text from them.")
    expect(thread.locator("li").last).to_have_attribute("data-kind", "automatic")
    order = page.eval_on_selector_all("#thread li", "els => els.map(e => e.dataset.kind)")
    assert order.index("care_text") < len(order) - 2 and order[-2] == "person"
    assert_accessible_basics(page)
    shoot(page, "reach-thread")
    assert problems == []
    context.close()


def test_the_reach_views_reflow_at_200_percent_zoom(
    browser: Any, reach_url: str, live_database: Database
) -> None:
    seed(live_database)
    seed_figures(
        live_database, add_staff(live_database, "Cy", StaffRole.ADMIN, password=NURSE_PASSWORD)
    )
    escalation = add_escalation(
        live_database, phone=PERSON_PHONE, created_at=utcnow() - dt.timedelta(minutes=30)
    )
    text_in(reach_url, PERSON_PHONE, "still hurts a lot today")
    context = browser.new_context(viewport={"width": 640, "height": 400}, device_scale_factor=2)
    page = context.new_page()
    log_in_as(page, reach_url, "Cy", NURSE_PASSWORD)
    page.goto(f"{reach_url}/care/escalations/{escalation}")
    page.get_by_role("button", name="Show number").click()
    page.get_by_label(re.compile("^Your text")).fill("We will call you in ten minutes.")
    page.get_by_role("button", name="Send text").click()
    playwright_sync.expect(page.locator('#thread li[data-kind="care_text"]')).to_be_visible()
    assert fits_without_sideways_scrolling(page)
    shoot(page, "reach-zoom200")
    for name, path in (("access-log", "/care/access-log"), ("program-figures", "/care/program")):
        page.goto(f"{reach_url}{path}")
        assert_accessible_basics(page)
        assert fits_without_sideways_scrolling(page), name
        shoot(page, f"{name}-zoom200")
    playwright_sync.expect(page.locator("#checkin-weeks")).to_be_visible()
    context.close()


def test_the_reach_views_at_1280_pixels(
    browser: Any, reach_url: str, live_database: Database
) -> None:
    seed(live_database)
    seed_figures(
        live_database, add_staff(live_database, "Cy", StaffRole.ADMIN, password=NURSE_PASSWORD)
    )
    escalation = add_escalation(
        live_database, phone=PERSON_PHONE, created_at=utcnow() - dt.timedelta(minutes=30)
    )
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log_in_as(page, reach_url, "Cy", NURSE_PASSWORD)
    page.goto(f"{reach_url}/care/escalations/{escalation}")
    page.get_by_role("button", name="Show number").click()
    page.goto(f"{reach_url}/care/access-log")
    entries = page.get_by_role("table", name=re.compile("^Numbers seen"))
    playwright_sync.expect(entries).to_contain_text(f"Escalation {escalation}")
    playwright_sync.expect(entries).to_contain_text("Cy (admin)")
    assert fits_without_sideways_scrolling(page)
    shoot(page, "access-log")
    page.goto(f"{reach_url}/care/program")
    assert fits_without_sideways_scrolling(page)
    shoot(page, "program-figures")
    context.close()
