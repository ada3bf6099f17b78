"""The voice webhooks through Flask's test client, signed like Twilio, on both databases."""

from __future__ import annotations

import datetime as dt
from collections import deque
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from service.domain.phone_menu import MEMBER_NODES, NODES, SPOKEN_ONLY_TOPICS
from service.store.models import ConsentEvent, Escalation, Message, Subscriber
from service.vocabulary import (
    Channel,
    ConsentAction,
    Direction,
    MessageStatus,
    PlanStatus,
    Stage,
    Status,
)
from service.words.catalog import Catalog
from tests.conftest import PUBLIC_BASE_URL, TwilioPost, twilio_signature
from tests.support.reminder_helpers import add_subscriber, planned_rows
from tests.support.sms_helpers import person_today
from tests.support.voice_helpers import (
    CALLER,
    Heard,
    call_form,
    heard,
    placed_call_form,
    press,
)
from tests.web.test_status import CALL_SID, add_sent


def rows(app: Flask, model: type[Any], **filters: object) -> list[Any]:
    """The stored rows of `model` that match, oldest first."""
    with app.extensions["boneline"].db.Session() as session:
        query = sa.select(model).filter_by(**filters).order_by(model.id)
        return list(session.scalars(query))


def node_of(result: Heard) -> str:
    """The menu node the next answer goes to."""
    return dict(parse_qsl(urlsplit(result.action).query))["node"]


def spoken_date(catalog: Catalog, date: dt.date, language: str) -> str:
    """A date the way a caller says it (Twilio writes numbers as digits)."""
    return catalog.format_date(date, language)


# ---- Signatures and required parameters --------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/voice", "/voice/menu?lang=en&node=main", "/voice/reminder?message=checkin.x&lang=en"]
)
def test_a_forged_signature_is_refused(client: FlaskClient, path: str) -> None:
    form = call_form()
    signature = twilio_signature(PUBLIC_BASE_URL + path, form, token="wrong" * 6)
    response = client.post(path, data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_a_signature_for_another_menu_state_is_refused(client: FlaskClient) -> None:
    form = call_form()
    signature = twilio_signature(PUBLIC_BASE_URL + "/voice/menu?lang=en&node=main", form)
    response = client.post(
        "/voice/menu?lang=en&node=stop", data=form, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("missing", ["From", "CallSid"])
def test_a_call_without_from_or_callsid_is_a_bad_request(
    twilio_post: TwilioPost, missing: str
) -> None:
    form = call_form()
    del form[missing]
    response = twilio_post("/voice", form)
    assert response.status_code == 400
    assert missing in response.get_data(as_text=True)


@pytest.mark.parametrize("hidden", ["anonymous", "+266696687", "Restricted"])
def test_a_caller_who_hides_their_number_can_listen_but_not_sign_up_or_stop(
    app: Flask, twilio_post: TwilioPost, hidden: str
) -> None:
    assert node_of(press(twilio_post, "/voice", phone=hidden)) == "language"
    tips = press(twilio_post, "/voice/menu?lang=en&node=main", digits="1", phone=hidden)
    assert node_of(tips) == "tips"
    for path in ("/voice/menu?lang=en&node=stop", "/voice/menu?lang=en&node=tip_calcium"):
        refused = press(twilio_post, path, digits="1", phone=hidden)
        assert node_of(refused) == "main" and "cannot see your phone number" in refused.text
    assert rows(app, ConsentEvent) == [] and rows(app, Message) == []


def test_a_placed_call_without_to_is_a_bad_request(twilio_post: TwilioPost) -> None:
    form = placed_call_form()
    del form["To"]
    assert twilio_post("/voice/reminder?message=reminder.x&lang=en", form).status_code == 400


def test_a_reminder_url_without_a_reminder_id_is_a_bad_request(twilio_post: TwilioPost) -> None:
    for query in ("", "?message=help.reply&lang=en", "?message=../x"):
        response = twilio_post("/voice/reminder" + query, placed_call_form())
        assert response.status_code == 400


# ---- Every path, in both languages, by keys and by words ---------------------------------


def choose(catalog: Catalog, language: str, intent: str, by: str, key: str) -> dict[str, str]:
    """Answer a prompt with the option's key, or with its first keyword."""
    if by == "digits":
        return {"digits": key}
    return {"speech": str(catalog.keywords(language)[intent][0]).title() + "."}


@pytest.mark.parametrize("by", ["digits", "speech"])
@pytest.mark.parametrize("language", ["en", "es"])
def test_every_menu_path_can_be_walked_by_keys_or_by_words(
    twilio_post: TwilioPost, catalog: Catalog, language: str, by: str
) -> None:
    start = press(twilio_post, "/voice")
    assert node_of(start) == "language"
    key = {"en": "1", "es": "2"}[language]
    intent = {"en": "voice_english", "es": "voice_spanish"}[language]
    main = press(twilio_post, start.action, **choose(catalog, language, intent, by, key))
    assert main.gather is not None and main.gather.attrib["language"] == f"{language}-US"
    due = dt.date.today() + dt.timedelta(days=60)
    born = dt.date.today() - dt.timedelta(days=60)
    visited: set[str] = set()
    hangups = 0
    queue = deque([main])
    while queue:
        result = queue.popleft()
        if result.hangs_up:
            hangups += 1
            continue
        node_name = node_of(result)
        if result.action in visited:
            continue
        visited.add(result.action)
        node = NODES[node_name]
        if node.reader is not None:
            date = born if node.reader == "birth_date" else due
            answer = (
                {"digits": f"{date:%m%d%Y}"}
                if by == "digits"
                else {"speech": spoken_date(catalog, date, language)}
            )
            queue.append(press(twilio_post, result.action, **answer))
            continue
        for option_key, option in node.options.items():
            answer = choose(catalog, language, option.intent, by, option_key)
            queue.append(press(twilio_post, result.action, **answer))
    reached = {dict(parse_qsl(urlsplit(action).query))["node"] for action in visited}
    spoken_only = {f"topic_{topic}" for topic in SPOKEN_ONLY_TOPICS}  # reached by saying them
    # A caller we never sent a reminder to hears that there is none (tested below); the change
    # menu is for members (`test_a_member_changes_reminders_by_phone...`).
    assert reached == (
        set(NODES) - {"language", "offer", "last_reminder"} - set(MEMBER_NODES) - spoken_only
    )
    assert hangups >= 3
    for said in heard_languages(twilio_post, main.action):
        assert said == f"{language}-US"


def heard_languages(post: TwilioPost, action: str) -> list[str]:
    """The language of every <Say> after a repeat."""
    return [say.attrib["language"] for say in press(post, action, digits="9").says]


@pytest.mark.parametrize(("language", "word"), [("en", "Repeat."), ("es", "Repetir.")])
def test_nine_or_the_word_repeat_says_the_same_prompt_again(
    twilio_post: TwilioPost, language: str, word: str
) -> None:
    path = f"/voice/menu?lang={language}&node=tips&tries=0"
    first = press(twilio_post, path, digits="1")
    assert node_of(first) == "tip_calcium"
    again = press(twilio_post, first.action, digits="9")
    assert again.text == first.text and again.action == first.action
    assert press(twilio_post, first.action, speech=word).text == first.text


@pytest.mark.parametrize(("language", "word"), [("en", "Main menu."), ("es", "Menú principal.")])
def test_star_or_the_words_main_menu_return_to_the_main_menu(
    twilio_post: TwilioPost, language: str, word: str
) -> None:
    for path in (
        f"/voice/menu?lang={language}&node=tip_activity",
        f"/voice/menu?lang={language}&node=sub_due_date&stage=pregnant",
        f"/voice/menu?lang={language}&node=stop",
    ):
        assert node_of(press(twilio_post, path, digits="*")) == "main"
        assert node_of(press(twilio_post, path, speech=word)) == "main"


@pytest.mark.parametrize("language", ["en", "es"])
def test_silence_and_wrong_keys_never_hang_up_before_a_text_offer_and_a_goodbye(
    app: Flask, twilio_post: TwilioPost, language: str
) -> None:
    path = f"/voice/menu?lang={language}&node=main&tries=0"
    first = press(twilio_post, path)
    second = press(twilio_post, first.action, digits="7")
    offer = press(twilio_post, second.action, speech="hmm")
    assert not (first.hangs_up or second.hangs_up or offer.hangs_up)
    assert len(first.text) < len(press(twilio_post, path, digits="9").text)
    assert node_of(offer) == "offer"
    goodbye = press(twilio_post, offer.action)
    assert goodbye.hangs_up and goodbye.gather is None
    assert rows(app, Message) == []


def test_the_text_offer_queues_the_text_in_the_message_log(
    app: Flask, twilio_post: TwilioPost
) -> None:
    sent = press(twilio_post, "/voice/menu?lang=es&node=offer&about=tip_calcium", digits="1")
    assert sent.hangs_up and "Le mandamos un mensaje de texto" in sent.text
    [message] = rows(app, Message)
    assert (message.phone, message.direction, message.channel) == (
        CALLER,
        Direction.OUTBOUND,
        Channel.SMS,
    )
    assert (message.message_id, message.status) == ("phone_text.calcium", MessageStatus.WAITING)
    assert "1,000 mg" in message.body


def test_asking_for_a_tip_by_text_queues_it_and_goes_back_to_the_tips(
    app: Flask, twilio_post: TwilioPost
) -> None:
    result = press(twilio_post, "/voice/menu?lang=en&node=tip_breastfeeding", speech="Text me.")
    assert node_of(result) == "tips"
    assert [m.message_id for m in rows(app, Message)] == ["phone_text.breastfeeding"]


# ---- Subscribing and stopping by phone ---------------------------------------------------


def test_subscribing_by_keypad_reads_the_date_back_and_records_voice_consent(
    app: Flask, twilio_post: TwilioPost, catalog: Catalog
) -> None:
    due = dt.date.today() + dt.timedelta(days=100)
    stage = press(twilio_post, "/voice/menu?lang=en&node=main", digits="3")
    date_prompt = press(twilio_post, stage.action, digits="1")
    assert node_of(date_prompt) == "sub_due_date"
    assert date_prompt.gather is not None and "numDigits" not in date_prompt.gather.attrib
    read_back = press(twilio_post, date_prompt.action, digits=f"{due:%m%d%Y}")
    words = catalog.format_date(due, "en")
    assert read_back.text.count(words) == 2
    channel = press(twilio_post, read_back.action, digits="1")
    disclosure = press(twilio_post, channel.action, digits="2")
    for required in ("BoneLine", "Test Clinic", "up to 3 a week", "911", "STOP", "press 1"):
        assert required in disclosure.text
    assert rows(app, Subscriber) == []
    done = press(twilio_post, disclosure.action, digits="1", call_sid="CA" + "7" * 32)
    assert done.hangs_up and "signed up" in done.text
    [person] = rows(app, Subscriber)
    assert (person.phone, person.status, person.stage, person.channel, person.language) == (
        CALLER,
        Status.ACTIVE,
        "pregnant",
        Channel.VOICE,
        "en",
    )
    assert person.due_date == due and person.time_zone == "America/New_York"
    [consent] = rows(app, ConsentEvent)
    assert (consent.action, consent.channel, consent.phone) == (
        ConsentAction.OPT_IN,
        "voice",
        CALLER,
    )
    assert consent.disclosure_id == "voice.subscribe.disclosure"
    assert consent.disclosure_version == catalog.version("voice.subscribe.disclosure", "en")
    assert consent.catalog_version == catalog.catalog_version
    assert consent.evidence == f"keypress 1 (call CA{'7' * 32})"


def test_subscribing_by_speech_in_spanish_after_a_misheard_date(
    app: Flask, twilio_post: TwilioPost, catalog: Catalog
) -> None:
    born = dt.date.today() - dt.timedelta(days=20)
    stage = press(twilio_post, "/voice/menu?lang=es&node=main", speech="Inscribirme.")
    date_prompt = press(twilio_post, stage.action, speech="Ya tuve a mi bebé.")
    assert node_of(date_prompt) == "sub_birth_date"
    wrong = press(twilio_post, date_prompt.action, speech="el martes que viene tal vez")
    assert "no entendimos la fecha" in wrong.text
    read_back = press(twilio_post, wrong.action, speech=catalog.format_date(born, "es"))
    assert read_back.text.count(catalog.format_date(born, "es")) == 2
    channel = press(twilio_post, read_back.action, speech="Sí, correcto.")
    disclosure = press(twilio_post, channel.action, speech="Mensajes de texto.")
    done = press(twilio_post, disclosure.action, speech="Sí, acepto.")
    assert done.hangs_up and "inscrita" in done.text
    [person] = rows(app, Subscriber)
    assert (person.stage, person.birth_date, person.channel, person.language) == (
        "postpartum",
        born,
        Channel.SMS,
        "es",
    )
    [consent] = rows(app, ConsentEvent)
    assert consent.channel == "voice" and consent.language == "es"
    [welcome] = rows(app, Message)
    assert (welcome.message_id, welcome.status) == ("phone_text.welcome", MessageStatus.WAITING)
    for required in ("BoneLine", "Test Clinic", "3 msjs/semana", "tarifas", "AYUDA", "PARAR"):
        assert required in welcome.body
    assert consent.evidence.startswith("speech: Sí, acepto.")


def test_subscribing_by_phone_updates_a_person_who_started_by_text(
    app: Flask, twilio_post: TwilioPost
) -> None:
    from tests.support.sms_helpers import text

    text(twilio_post, "JOIN")
    consent = "/voice/menu?lang=en&node=sub_consent&stage=pregnant&channel=voice"
    press(twilio_post, f"{consent}&date={dt.date.today() + dt.timedelta(days=30)}", digits="1")
    [person] = rows(app, Subscriber)
    assert (person.status, person.enrollment_step, person.channel) == ("active", None, "voice")


def test_stopping_by_phone_suppresses_the_number_and_logs_the_opt_out(
    app: Flask, twilio_post: TwilioPost, catalog: Catalog
) -> None:
    consent = "/voice/menu?lang=en&node=sub_consent&stage=pregnant&channel=sms"
    press(twilio_post, f"{consent}&date={dt.date.today() + dt.timedelta(days=30)}", digits="1")
    stop = press(twilio_post, "/voice/menu?lang=en&node=main", digits="4")
    done = press(twilio_post, stop.action, digits="1")
    assert done.hangs_up and "will not call or text you again" in done.text
    [person] = rows(app, Subscriber)
    assert person.status == Status.STOPPED
    opt_out = rows(app, ConsentEvent, action=ConsentAction.OPT_OUT)
    assert [(e.channel, e.disclosure_id) for e in opt_out] == [("voice", "voice.stop.done")]
    assert opt_out[0].disclosure_version == catalog.version("voice.stop.done", "en")


def test_stopping_by_phone_is_logged_even_for_a_number_never_enrolled(
    app: Flask, twilio_post: TwilioPost
) -> None:
    press(twilio_post, "/voice/menu?lang=es&node=stop", speech="Sí, parar todo.")
    assert rows(app, Subscriber) == []
    [event] = rows(app, ConsentEvent)
    assert (event.action, event.language, event.subscriber_id) == (
        ConsentAction.OPT_OUT,
        "es",
        None,
    )


# ---- Reminder and check-in calls we place ------------------------------------------------


def reminder(post: TwilioPost, path: str, **form: str) -> Heard:
    """Post to a placed call's webhook."""
    return heard(post(path, placed_call_form(**form)))


def answer_placed(post: TwilioPost, action: str, digits: str = "", speech: str = "") -> Heard:
    """Answer a placed call's prompt."""
    extra = {"Digits": digits} if digits else {}
    if speech:
        extra["SpeechResult"] = speech
    return reminder(post, action, **extra)


def test_a_reminder_call_says_the_reminders_own_voice_text_and_one_repeats_it(
    twilio_post: TwilioPost,
) -> None:
    call = reminder(
        twilio_post, "/voice/reminder?message=reminder.breastfeeding.comes_back&lang=en"
    )
    assert call.text.startswith("Hello, this is BoneLine from Test Clinic")
    assert "It takes about 6 months. That is about 6 months." in call.text
    assert "press 9" in call.text
    assert call.action.startswith(
        "/voice/reminder/answer?message=reminder.breastfeeding.comes_back&lang=en"
    )
    again = answer_placed(twilio_post, call.action, digits="1")
    assert again.text == call.text


def test_a_reminder_call_in_spanish_uses_the_spanish_voice(twilio_post: TwilioPost) -> None:
    call = reminder(twilio_post, "/voice/reminder?message=reminder.calcium.chia&lang=es")
    assert {say.attrib["voice"] for say in call.says} == {"Polly.Lupe"}
    # The voice reads the accented original; only texts lose á, í, ó, ú when sent.
    assert "Las semillas de chía tienen calcio." in call.text


def test_nine_on_a_reminder_call_stops_all_calls_with_a_consent_entry(
    app: Flask, twilio_post: TwilioPost
) -> None:
    consent = "/voice/menu?lang=en&node=sub_consent&stage=pregnant&channel=voice"
    press(twilio_post, f"{consent}&date={dt.date.today() + dt.timedelta(days=30)}", digits="1")
    call = reminder(twilio_post, "/voice/reminder?message=reminder.calcium.1&lang=en")
    stopped = answer_placed(twilio_post, call.action, digits="9")
    assert stopped.hangs_up and "will not call or text you again" in stopped.text
    [person] = rows(app, Subscriber)
    assert person.status == Status.STOPPED
    [opt_out] = rows(app, ConsentEvent, action=ConsentAction.OPT_OUT)
    assert opt_out.channel == "voice" and "reminder.calcium.1" in opt_out.evidence


@pytest.mark.parametrize(("language", "yes"), [("en", "Yes."), ("es", "Sí.")])
def test_back_pain_on_a_check_in_gives_the_safety_message_and_an_escalation(
    app: Flask, twilio_post: TwilioPost, language: str, yes: str
) -> None:
    call = reminder(twilio_post, f"/voice/reminder?message=checkin.week6&lang={language}")
    assert "911" not in call.text
    for answer in ({"digits": "1"}, {"speech": yes}):
        safety = answer_placed(twilio_post, call.action, **answer)
        assert safety.hangs_up and safety.text.count("911") == 2
    escalations = rows(app, Escalation)
    assert [(e.source, e.reason, e.language) for e in escalations] == [
        ("call", "back_pain", language)
    ] * 2
    assert escalations[0].phone == CALLER and "checkin.week6" in escalations[0].detail


def test_no_back_pain_on_a_check_in_gets_encouragement_and_no_escalation(
    app: Flask, twilio_post: TwilioPost
) -> None:
    call = reminder(twilio_post, "/voice/reminder?message=checkin.week10&lang=en")
    done = answer_placed(twilio_post, call.action, digits="2")
    assert done.hangs_up and "Keep moving" in done.text
    assert answer_placed(twilio_post, call.action, digits="3").text == call.text
    assert rows(app, Escalation) == []


def test_silence_on_a_check_in_asks_again_twice_then_says_goodbye(twilio_post: TwilioPost) -> None:
    call = reminder(twilio_post, "/voice/reminder?message=checkin.week6&lang=es")
    first = answer_placed(twilio_post, call.action)
    second = answer_placed(twilio_post, first.action, digits="5")
    assert not first.hangs_up and not second.hangs_up
    assert "no le oímos" in first.text and "no lo entendimos" in second.text
    assert answer_placed(twilio_post, second.action).hangs_up


@pytest.mark.parametrize(
    "answered_by", ["machine_end_beep", "machine_end_silence", "machine_end_other"]
)
def test_an_answering_machine_gets_a_short_voicemail_instead_of_the_menu(
    twilio_post: TwilioPost, answered_by: str
) -> None:
    call = reminder(
        twilio_post, "/voice/reminder?message=checkin.week6&lang=en", AnsweredBy=answered_by
    )
    assert call.gather is None and call.hangs_up
    assert "call this number back" in call.text.lower()
    assert "back pain" not in call.text.lower()


def test_a_person_answering_gets_the_message_not_the_voicemail(twilio_post: TwilioPost) -> None:
    call = reminder(
        twilio_post, "/voice/reminder?message=reminder.activity.1&lang=en", AnsweredBy="human"
    )
    assert call.gather is not None


def test_a_check_in_call_says_its_own_words_before_the_question(twilio_post: TwilioPost) -> None:
    checkin = reminder(twilio_post, "/voice/reminder?message=checkin.back_pain_moving&lang=en")
    assert checkin.text.startswith("Hello, this is BoneLine from Test Clinic, checking in on you.")
    assert "Does your back hurt a lot when you move, stand, or lift?" in checkin.text
    assert "If yes, press 1. If no, press 2." in checkin.text


def test_a_check_in_call_that_reaches_a_machine_is_planned_again_in_the_window(
    app: Flask, twilio_post: TwilioPost
) -> None:
    database = app.extensions["boneline"].db
    add_sent(database, CALL_SID, Channel.VOICE)
    form = {"CallSid": CALL_SID, "AnsweredBy": "machine_end_beep", "To": "+12125550101"}
    call = reminder(twilio_post, "/voice/reminder?message=checkin.week6&lang=en", **form)
    assert call.hangs_up and "press 5" in call.text
    (row,) = planned_rows(database)
    assert row.status is PlanStatus.PLANNED and row.twilio_sid is None
    assert row.send_at - dt.datetime.now(dt.UTC).replace(tzinfo=None) > dt.timedelta(hours=1)


def test_a_reminder_call_that_reaches_a_machine_only_leaves_the_voicemail(
    app: Flask, twilio_post: TwilioPost
) -> None:
    database = app.extensions["boneline"].db
    add_sent(database, CALL_SID, Channel.VOICE)
    form = {"CallSid": CALL_SID, "AnsweredBy": "machine_start", "To": "+12125550101"}
    reminder(twilio_post, "/voice/reminder?message=reminder.calcium.amount&lang=en", **form)
    assert planned_rows(database)[0].status is PlanStatus.SENT


@pytest.mark.parametrize("language", ["en", "es"])
def test_five_in_the_main_menu_plays_the_last_reminder_we_sent(
    app: Flask, twilio_post: TwilioPost, catalog: Catalog, language: str
) -> None:
    database = app.extensions["boneline"].db
    add_sent(database, CALL_SID, Channel.VOICE)
    main = f"/voice/menu?lang={language}&node=main"
    played = press(twilio_post, main, digits="5", From="+12125550101")
    spoken = " ".join(catalog.template("voice.reminder.calcium.amount", language).split())
    assert played.text.startswith(spoken)
    texted = press(twilio_post, played.action, digits="1", From="+12125550101")
    assert "text" in texted.text.lower()
    with database.Session() as session:
        queued = session.scalars(sa.select(Message).where(Message.message_id.is_not(None))).all()
    [sent] = [message for message in queued if message.message_id == "reminder.calcium.amount"]
    assert sent.body.startswith("BoneLine: ") and sent.status == MessageStatus.WAITING
    nothing = press(twilio_post, main, digits="5")
    assert catalog.template("voice.last_reminder.none", language) in nothing.text


@pytest.mark.parametrize(
    ("language", "sign_up", "calls", "pause"),
    [
        ("en", "Change my reminders.", "Phone calls.", "Pause."),
        ("es", "Cambiar.", "Llamadas.", "Pausa."),
    ],
)
def test_a_member_changes_reminders_by_phone_without_signing_up_again(
    app: Flask, twilio_post: TwilioPost, language: str, sign_up: str, calls: str, pause: str
) -> None:
    database = app.extensions["boneline"].db
    add_subscriber(
        database, CALLER, language=language, due_date=dt.date.today() + dt.timedelta(days=90)
    )
    change = press(twilio_post, f"/voice/menu?lang={language}&node=main", digits="3")
    assert node_of(change) == "change"
    channel = press(twilio_post, change.action, digits="2")
    back = press(twilio_post, channel.action, speech=calls)
    assert node_of(back) == "main"
    main = press(twilio_post, back.action, digits="3")
    paused = press(twilio_post, press(twilio_post, main.action, digits="3").action, speech=pause)
    assert node_of(paused) == "main"
    [person] = rows(app, Subscriber)
    assert (person.channel, person.status) == (Channel.VOICE, Status.PAUSED)
    actions = [event.action for event in rows(app, ConsentEvent)]
    assert actions == [ConsentAction.CHANNEL, ConsentAction.PAUSE]
    assert all(event.channel == "voice" for event in rows(app, ConsentEvent))


def test_a_member_gives_a_new_due_date_by_phone_read_back_first(
    app: Flask, twilio_post: TwilioPost
) -> None:
    database = app.extensions["boneline"].db
    add_subscriber(database, CALLER, due_date=dt.date.today() + dt.timedelta(days=90))
    change = press(twilio_post, "/voice/menu?lang=en&node=main", digits="3")
    stage = press(twilio_post, change.action, digits="1")
    date = press(twilio_post, stage.action, digits="1")
    read_back = press(twilio_post, date.action, speech="thirty weeks")
    assert "We heard" in read_back.text
    done = press(twilio_post, read_back.action, digits="1")
    assert node_of(done) == "main"
    [person] = rows(app, Subscriber)
    assert person.due_date == person_today(CALLER) + dt.timedelta(weeks=10)
    assert rows(app, ConsentEvent) == []


@pytest.mark.parametrize(
    ("language", "loss", "keep"),
    [("en", "I lost my baby", {"digits": "1"}), ("es", "Perdí a mi bebé", {"speech": "Sí"})],
)
def test_a_member_who_tells_the_phone_line_of_a_loss_stops_baby_messages_and_chooses(
    app: Flask, twilio_post: TwilioPost, language: str, loss: str, keep: dict[str, str]
) -> None:
    database = app.extensions["boneline"].db
    add_subscriber(
        database, CALLER, language=language, due_date=dt.date.today() + dt.timedelta(days=90)
    )
    heard = press(twilio_post, f"/voice/menu?lang={language}&node=main", speech=loss)
    assert node_of(heard) == "loss_choice"
    [person] = rows(app, Subscriber)
    assert (person.status, person.track) == (Status.PAUSED, "self_care")
    [follow_up] = rows(app, Escalation)
    assert (follow_up.reason, follow_up.source) == ("loss_follow_up", "call")
    kept = press(twilio_post, heard.action, **keep)
    assert kept.hangs_up
    [person] = rows(app, Subscriber)
    assert person.status == Status.ACTIVE and person.loss_on is not None
    actions = [event.action for event in rows(app, ConsentEvent)]
    assert actions == [ConsentAction.LOSS, ConsentAction.OPT_IN]


@pytest.mark.parametrize(
    ("language", "said", "thanks"),
    [("en", "I stopped breastfeeding", "6 more months"), ("es", "Ya no doy pecho", "6 meses más")],
)
def test_a_breastfeeding_member_who_says_they_stopped_is_recorded_as_weaned_today(
    app: Flask, twilio_post: TwilioPost, language: str, said: str, thanks: str
) -> None:
    database = app.extensions["boneline"].db
    born = dt.date.today() - dt.timedelta(days=60)
    person_id = add_subscriber(
        database, CALLER, language=language, stage=Stage.POSTPARTUM, due_date=None, birth_date=born
    )
    with database.Session.begin() as session:
        session.get(Subscriber, person_id).breastfeeding = True  # type: ignore[union-attr]
    heard = press(twilio_post, f"/voice/menu?lang={language}&node=main", speech=said)
    assert node_of(heard) == "main" and thanks in heard.text
    [person] = rows(app, Subscriber)
    assert (person.breastfeeding, person.weaned_on) == (False, person_today(CALLER))


def test_a_stranger_who_tells_the_phone_line_of_a_loss_hears_kind_words_only(
    app: Flask, twilio_post: TwilioPost
) -> None:
    heard = press(twilio_post, "/voice/menu?lang=en&node=main", speech="we lost our baby")
    assert node_of(heard) == "main" and "so sorry" in heard.text
    assert rows(app, Subscriber) == [] and rows(app, Escalation) == []
