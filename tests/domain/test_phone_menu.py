"""The phone menu as a pure table: every path, by keys and by words, without Flask or a database."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections import deque
from urllib.parse import parse_qsl, urlsplit

import pytest

from service.config import load_settings
from service.domain import phone_menu
from service.domain.call_plan import (
    BareHangupError,
    ChangeDate,
    Escalate,
    OptOut,
    Plan,
    SendText,
    SetDayPart,
    SetFeeding,
    Subscribe,
    Weaned,
)
from service.domain.phone_menu import NODES, CallState, Said, answer, keypad_date
from service.gateway.twiml import render_twiml, spoken_text
from service.understanding import SAFETY_TABLE, ReadingKind, SafetyFamily, Understanding
from service.words.catalog import Catalog
from service.words.texts import Texts
from tests.support.voice_helpers import Heard, check_twiml

TODAY = dt.date(2026, 11, 23)
KEYS = [*"0123456789*"]


@pytest.fixture(scope="module")
def texts() -> Texts:
    """The shipped catalog bound to a test deployment."""
    return Texts.from_settings(load_settings({"PROGRAM_NAME": "BoneLine"}, environ={}))


@pytest.fixture(scope="module")
def words(texts: Texts) -> dict[str, dict[str, tuple[str, ...]]]:
    """What callers may say, by language and intent."""
    return texts.spoken_keywords


def state_of(plan: Plan) -> CallState:
    """The state a plan's prompt posts its answer back in."""
    assert plan.ask is not None
    return CallState.from_query(dict(parse_qsl(urlsplit(plan.ask.action).query)))


def step(state: CallState, words: dict[str, dict[str, tuple[str, ...]]], **said: str) -> Plan:
    """One answer to a prompt."""
    return answer(state, Said(**said), TODAY, words)


def first_word(catalog: Catalog, language: str, intent: str) -> str:
    """A word a caller could say for an intent."""
    return str(catalog.keywords(language)[intent][0]).title()


def inputs_for(state: CallState, catalog: Catalog) -> list[Said]:
    """Every kind of answer to try at a prompt: each key, each option's words, silence, nonsense."""
    node = NODES[state.node]
    tries = [Said(), Said(speech="banana bread"), Said(speech="repeat"), Said(speech="menu")]
    if node.reader is not None:
        spoken_date = "June 5" if state.voice_language == "en" else "5 de junio"
        return [*tries, Said(digits="0605"), Said(digits="1340"), Said(speech=spoken_date)]
    tries += [Said(digits=key) for key in KEYS]
    for language in state.speaks:
        for option in node.options.values():
            tries.append(Said(speech=first_word(catalog, language, option.intent)))
    return tries


def explore(
    texts: Texts, words: dict[str, dict[str, tuple[str, ...]]], first: Plan | None = None
) -> dict[str, int]:
    """Walk every state the menu can reach with every kind of answer; check every TwiML plan."""
    seen: set[str] = set()
    counts = {"states": 0, "plans": 0, "hangups": 0}
    queue: deque[Plan] = deque([first or phone_menu.start()])
    while queue:
        plan = queue.popleft()
        counts["plans"] += 1
        check_twiml(Heard(ET.fromstring(render_twiml(plan, texts))))
        if plan.ask is None:
            counts["hangups"] += 1
            continue
        if plan.ask.action in seen:
            continue
        seen.add(plan.ask.action)
        counts["states"] += 1
        state = state_of(plan)
        for said in inputs_for(state, texts.catalog):
            queue.append(answer(state, said, TODAY, words))
    return counts


def test_every_reachable_prompt_takes_keys_and_words_and_no_path_hangs_up_bare(
    texts: Texts, words: dict[str, dict[str, tuple[str, ...]]]
) -> None:
    counts = explore(texts, words)
    assert counts["states"] > 100
    assert counts["hangups"] > 0


def test_menus_have_at_most_four_choices_and_three_levels() -> None:
    depth = {"main": 1}
    queue = deque(["main"])
    while queue:
        name = queue.popleft()
        node = NODES[name]
        # The main menu's fifth choice only plays back the last reminder we sent.
        assert len(node.options) <= (5 if name == "main" else 4), name
        assert not {"9", "*"} & set(node.options), name
        for option in node.options.values():
            if option.goto and option.goto not in depth:
                below = NODES[option.goto]
                depth[option.goto] = depth[name] + (1 if below.kind == "menu" else 0)
                queue.append(option.goto)
    assert max(depth.values()) == 3
    assert {"tips", "back_pain", "sub_stage", "stop"} <= set(depth)


def test_every_option_is_named_before_its_key(texts: Texts) -> None:
    for name, node in NODES.items():
        for language, verb in (("en", "press"), ("es", "oprima")):
            prompt = texts.catalog.text(node.prompt, language, **texts.params(language), date=TODAY)
            sentences = re.split(r"(?<=[.?!])\s+", prompt)
            for key in node.options:
                said = [s for s in sentences if re.search(rf"\b{verb} {key}\b", s, re.I)]
                if name == "language" and language != {"1": "en", "2": "es"}[key]:
                    continue
                assert said, f"{name}/{language} never says {verb} {key}"
                assert not said[0].lower().startswith(verb), said[0]


def test_every_text_the_menu_uses_exists_in_both_languages(catalog: Catalog) -> None:
    for node in NODES.values():
        for message_id in (node.prompt, node.simple, node.text_id, node.lead):
            if message_id:
                assert message_id in catalog.ids("en") and message_id in catalog.ids("es")
        for option in node.options.values():
            assert option.intent in catalog.keywords("en"), option.intent
            assert option.intent in catalog.keywords("es"), option.intent


def test_language_choice_is_spoken_in_english_then_spanish(texts: Texts) -> None:
    root = ET.fromstring(render_twiml(phone_menu.start(), texts))
    says = list(root.iter("Say"))
    assert [say.attrib["language"] for say in says] == ["en-US", "es-US"]
    assert [say.attrib["voice"] for say in says] == ["Polly.Joanna", "Polly.Lupe"]
    assert "For English, press" in "".join(says[0].itertext())
    assert "Para español, oprima" in "".join(says[1].itertext())


def test_speech_is_slowed_and_numbers_slower_still(texts: Texts) -> None:
    root = ET.fromstring(render_twiml(phone_menu.start(), texts))
    rates = {(node.text or "").strip(): node.attrib["rate"] for node in root.iter("prosody")}
    assert rates["For English, press"] == "90%"
    assert rates["1"] == "70%"


@pytest.mark.parametrize(
    ("language", "said", "node"),
    [
        ("en", Said(digits="1"), "tips"),
        ("en", Said(speech="Tips, please."), "tips"),
        ("en", Said(speech="I have back pain"), "back_pain"),
        ("en", Said(speech="Sign me up."), "sub_stage"),
        ("en", Said(speech="Four."), "stop"),
        ("es", Said(digits="2"), "back_pain"),
        ("es", Said(speech="Consejos."), "tips"),
        ("es", Said(speech="Me duele la espalda"), "back_pain"),
        ("es", Said(speech="Quiero inscribirme"), "sub_stage"),
        ("es", Said(speech="Parar"), "stop"),
    ],
)
def test_main_menu_choices_by_key_or_by_words(
    language: str, said: Said, node: str, words: dict[str, dict[str, tuple[str, ...]]]
) -> None:
    plan = answer(CallState("main", language), said, TODAY, words)
    assert state_of(plan).node == node


@pytest.mark.parametrize("language", ["en", "es"])
def test_silence_reprompts_twice_more_simply_then_offers_a_text_then_says_goodbye(
    language: str, texts: Texts, words: dict[str, dict[str, tuple[str, ...]]]
) -> None:
    state = CallState("tips", language)
    first = step(state, words)
    assert first.ask is not None
    assert [line.message_id for line in first.ask.lines] == [
        "voice.reprompt.silence",
        "voice.menu.tips_simple",
    ]
    second = step(state_of(first), words)
    assert state_of(second).tries == 2
    offer = step(state_of(second), words)
    assert state_of(offer).node == "offer" and state_of(offer).about == "tips"
    goodbye = step(state_of(offer), words)
    assert goodbye.hangs_up and not goodbye.effects
    assert [line.message_id for line in goodbye.say] == ["voice.goodbye"]
    assert "BoneLine" in spoken_text(goodbye.say[0], texts)


def test_accepting_the_text_offer_texts_what_that_menu_was_about(
    words: dict[str, dict[str, tuple[str, ...]]],
) -> None:
    offer = CallState("offer", "es", about="back_pain")
    plan = step(offer, words, digits="1")
    assert plan.effects == (SendText("phone_text.back_pain", "es"),)
    assert plan.hangs_up
    assert [line.message_id for line in plan.say] == ["voice.text_sent", "voice.goodbye"]


def test_an_unanswered_language_choice_offers_the_text_in_both_languages(
    words: dict[str, dict[str, tuple[str, ...]]],
) -> None:
    state = CallState()
    for _ in range(3):
        state = state_of(step(state, words))
    assert state.node == "offer" and state.speaks == ("en", "es")
    plan = step(state, words, speech="yes text me")
    assert plan.effects == (SendText("phone_text.menu", "en"), SendText("phone_text.menu", "es"))


def test_a_wrong_key_says_so_and_keeps_the_caller_in_place(
    words: dict[str, dict[str, tuple[str, ...]]],
) -> None:
    plan = step(CallState("main", "en"), words, digits="7")
    assert plan.ask is not None
    assert plan.ask.lines[0].message_id == "voice.reprompt.wrong_key"
    assert state_of(plan) == CallState("main", "en", tries=1)


def test_nine_repeats_the_tip_and_star_returns_to_the_main_menu(
    words: dict[str, dict[str, tuple[str, ...]]],
) -> None:
    state = CallState("tip_calcium", "en")
    again = step(state, words, digits="9")
    assert again.ask is not None
    assert [line.message_id for line in again.ask.lines] == ["voice.tip.calcium", "voice.tip.after"]
    assert state_of(step(state, words, digits="*")) == CallState("main", "en")
    assert state_of(step(state, words, speech="Main menu.")) == CallState("main", "en")


def test_subscribing_by_keypad_collects_choices_then_records_consent(
    words: dict[str, dict[str, tuple[str, ...]]],
) -> None:
    state = state_of(step(CallState("main", "en"), words, digits="3"))
    state = state_of(step(state, words, digits="2"))
    assert state.node == "sub_birth_date" and state.stage == "postpartum"
    confirm = step(state, words, digits="1015")
    assert confirm.ask is not None
    assert confirm.ask.lines[0].params == {"date": dt.date(2026, 10, 15)}
    state = state_of(step(state_of(confirm), words, digits="1"))
    state = state_of(step(state, words, digits="2"))
    assert (state.node, state.channel) == ("sub_consent", "voice")
    done = step(state, words, digits="1")
    assert done.effects == (
        Subscribe(
            "en",
            "postpartum",
            dt.date(2026, 10, 15),
            "voice",
            "voice.subscribe.disclosure",
            "keypress 1",
        ),
    )
    assert done.hangs_up


def test_saying_no_to_the_read_back_asks_for_the_date_again(
    words: dict[str, dict[str, tuple[str, ...]]],
) -> None:
    state = CallState("sub_date_confirm", "es", stage="pregnant", date=dt.date(2027, 3, 1))
    again = state_of(step(state, words, speech="No, otra vez"))
    assert (again.node, again.date) == ("sub_due_date", None)


@pytest.mark.parametrize(
    ("said", "problem"),
    [
        (Said(digits="1340"), "voice.date.unreadable"),
        (Said(speech="sometime soon"), "voice.date.unreadable"),
        (Said(digits="11012026"), "voice.date.due_past"),
        (Said(digits="10302027"), "voice.date.due_too_far"),
    ],
)
def test_a_due_date_that_makes_no_sense_is_asked_again_plainly(
    said: Said, problem: str, words: dict[str, dict[str, tuple[str, ...]]]
) -> None:
    plan = answer(CallState("sub_due_date", "en", stage="pregnant"), said, TODAY, words)
    assert plan.ask is not None
    assert plan.ask.lines[0].message_id == problem
    assert state_of(plan).tries == 1


def test_declining_the_disclosure_saves_nothing(
    words: dict[str, dict[str, tuple[str, ...]]],
) -> None:
    state = CallState("sub_consent", "en", stage="pregnant", date=TODAY, channel="sms")
    plan = step(state, words, speech="No thanks")
    assert state_of(plan).node == "main"
    assert not plan.effects and state_of(plan).node == "main"


def test_choosing_texts_by_phone_queues_the_confirmation_text(
    words: dict[str, dict[str, tuple[str, ...]]],
) -> None:
    state = CallState("sub_consent", "es", stage="pregnant", date=TODAY, channel="sms")
    plan = step(state, words, digits="1")
    assert [type(effect) for effect in plan.effects] == [Subscribe, SendText]
    assert plan.effects[1] == SendText("phone_text.welcome", "es")


def test_stop_by_phone_is_an_opt_out_with_the_keypress_as_evidence(
    words: dict[str, dict[str, tuple[str, ...]]],
) -> None:
    plan = step(CallState("stop", "es"), words, digits="1")
    assert plan.effects == (OptOut("es", "voice.stop.done", "keypress 1"),)
    assert plan.hangs_up


@pytest.mark.parametrize(
    ("digits", "prefer", "expected"),
    [
        ("0605", "future", dt.date(2027, 6, 5)),
        ("1201", "future", dt.date(2026, 12, 1)),
        ("1123", "future", dt.date(2026, 11, 23)),
        ("1201", "past", dt.date(2025, 12, 1)),
        ("060527", "future", dt.date(2027, 6, 5)),
        ("06052027#", "future", dt.date(2027, 6, 5)),
        ("0230", "future", None),
        ("13", "future", None),
        ("12*1", "future", None),
    ],
)
def test_keypad_dates_are_month_then_day_with_an_optional_year(
    digits: str, prefer: str, expected: dt.date | None
) -> None:
    assert keypad_date(digits, TODAY, prefer) == expected  # type: ignore[arg-type]


def test_a_hand_made_url_falls_back_to_a_safe_place() -> None:
    assert CallState.from_query({"node": "nowhere", "lang": "en"}) == CallState()
    assert CallState.from_query({"node": "main", "lang": "fr"}) == CallState()
    assert CallState.from_query({"node": "main", "lang": "en", "tries": "x"}).node == "main"
    confirm = CallState.from_query({"node": "sub_date_confirm", "lang": "en"})
    assert confirm.node == "sub_stage"


def test_a_plan_that_would_hang_up_without_a_word_cannot_be_made() -> None:
    with pytest.raises(BareHangupError):
        Plan()


@pytest.mark.parametrize(
    ("language", "node", "speech", "date"),
    [
        ("en", "sub_due_date", "I'm thirty weeks", TODAY + dt.timedelta(weeks=10)),
        ("es", "sub_due_date", "treinta semanas", TODAY + dt.timedelta(weeks=10)),
        ("en", "sub_due_date", "the fifth of June", dt.date(2027, 6, 5)),
        ("en", "sub_birth_date", "last Tuesday", dt.date(2026, 11, 17)),
        ("es", "sub_birth_date", "hace dos semanas", dt.date(2026, 11, 9)),
    ],
)
def test_spoken_dates_use_the_same_reader_as_texts_and_are_read_back(
    language: str,
    node: str,
    speech: str,
    date: dt.date,
    words: dict[str, dict[str, tuple[str, ...]]],
) -> None:
    stage = "pregnant" if node == "sub_due_date" else "postpartum"
    plan = step(CallState(node, language, stage=stage), words, speech=speech)
    confirm = state_of(plan)
    assert (confirm.node, confirm.date) == ("sub_date_confirm", date)


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_change_menu_takes_keys_and_words_and_every_change_is_recorded(
    language: str, texts: Texts, words: dict[str, dict[str, tuple[str, ...]]]
) -> None:
    counts = explore(texts, words, phone_menu.arrive(CallState("change", language)))
    assert counts["states"] > 20
    member = answer(CallState("main", language), Said(digits="3"), TODAY, words, member=True)
    assert state_of(member).node == "change"
    stranger = answer(CallState("main", language), Said(digits="3"), TODAY, words)
    assert state_of(stranger).node == "sub_stage"
    evening = step(CallState("chg_time", language), words, digits="3")
    assert evening.effects == (SetDayPart("evening", language),)
    assert state_of(evening).node == "main"


@pytest.mark.parametrize(
    ("language", "said"), [("en", Said(digits="5")), ("es", Said(speech="Mi último aviso"))]
)
def test_five_plays_the_last_reminder_nine_plays_it_again_and_one_texts_it(
    language: str, said: Said, words: dict[str, dict[str, tuple[str, ...]]]
) -> None:
    plan = answer(CallState("main", language), said, TODAY, words, "reminder.calcium.greens")
    assert plan.ask is not None
    assert [line.message_id for line in plan.ask.lines] == [
        "voice.reminder.calcium.greens",
        "voice.last_reminder.after",
    ]
    played = state_of(plan)
    assert (played.node, played.message) == ("last_reminder", "reminder.calcium.greens")
    again = step(played, words, digits="9")
    assert again.ask is not None and again.ask.lines == plan.ask.lines
    texted = step(played, words, digits="1")
    assert texted.effects == (SendText("reminder.calcium.greens", language),)
    assert state_of(texted) == CallState("main", language)


def test_five_before_any_reminder_says_so_and_stays_in_the_main_menu(
    words: dict[str, dict[str, tuple[str, ...]]],
) -> None:
    plan = answer(CallState("main", "en"), Said(digits="5"), TODAY, words, None)
    assert plan.ask is not None
    assert plan.ask.lines[0].message_id == "voice.last_reminder.none"
    assert state_of(plan) == CallState("main", "en")


def test_a_hand_made_url_cannot_play_a_text_that_is_not_a_reminder() -> None:
    query = {"lang": "en", "node": "last_reminder", "message": "voice.stop.done"}
    assert CallState.from_query(query).message == ""


def test_a_check_in_played_back_says_what_to_do_and_texts_the_back_pain_facts(
    words: dict[str, dict[str, tuple[str, ...]]],
) -> None:
    plan = answer(CallState("main", "es"), Said(digits="5"), TODAY, words, "checkin.back_pain")
    assert plan.ask is not None
    assert [line.message_id for line in plan.ask.lines] == [
        "voice.checkin.back_pain",
        "voice.last_reminder.back_pain",
        "voice.last_reminder.after",
    ]
    texted = step(state_of(plan), words, digits="1")
    assert texted.effects == (SendText("phone_text.back_pain", "es"),)


def heard_as(kind: ReadingKind, label: str) -> Understanding:
    """How the understanding layer reads what the caller said."""
    family = label.removeprefix("safety.")
    rule = SAFETY_TABLE[SafetyFamily(family)] if label.startswith("safety.") else None
    return Understanding(kind, label, 0.9, "none", 0.05, rule, "en")


def test_a_warning_sign_said_at_any_node_is_escalated_then_the_main_menu(
    words: dict[str, dict[str, tuple[str, ...]]],
) -> None:
    alarm = heard_as(ReadingKind.SAFETY, "safety.seizure")
    for node in ("main", "tips", "sub_stage", "sub_birth_date", "stop"):
        state = CallState(node=node, language="es", stage="postpartum")
        plan = answer(state, Said(speech="..."), TODAY, words, reading=alarm)
        rule = SAFETY_TABLE[SafetyFamily.SEIZURE]
        assert plan.effects == (Escalate(rule, f"said at the phone menu ({node}): ...", "es"),)
        assert plan.ask is not None and plan.ask.lines[0].message_id == rule.voice_id
        assert "node=main" in plan.ask.action


def test_a_maybe_is_answered_with_what_to_do_and_no_escalation_unless_an_option_fits(
    words: dict[str, dict[str, tuple[str, ...]]],
) -> None:
    maybe = heard_as(ReadingKind.SAFETY_CHECK, "safety.back_pain")
    main = CallState(node="main", language="en")
    checked = answer(main, Said(speech="is it bad if it hurts"), TODAY, words, reading=maybe)
    assert checked.effects == ()
    assert checked.ask is not None
    assert checked.ask.lines[0].message_id == "safety_check.back_pain"
    chosen = answer(main, Said(speech="back pain"), TODAY, words, reading=maybe)
    assert "node=back_pain" in (chosen.ask.action if chosen.ask else "")


def test_a_topic_is_played_at_a_menu_but_not_in_the_middle_of_signing_up(
    words: dict[str, dict[str, tuple[str, ...]]],
) -> None:
    topic = heard_as(ReadingKind.TOPIC, "topic.recovery")
    played = answer(
        CallState(node="main", language="en"), Said(speech="x"), TODAY, words, reading=topic
    )
    assert played.ask is not None and "node=topic_recovery" in played.ask.action
    assert played.ask.lines[0].message_id == "topic.recovery"
    asking = CallState(node="sub_stage", language="en")
    reprompt = answer(asking, Said(speech="x"), TODAY, words, reading=topic)
    assert reprompt.ask is not None and "node=sub_stage" in reprompt.ask.action


def test_every_topic_said_at_a_menu_has_a_node_that_plays_it(catalog: Catalog) -> None:
    topics = {i.removeprefix("topic.") for i in catalog.ids("en") if i.startswith("topic.")}
    assert set(phone_menu.TOPIC_NODES) == topics
    assert set(phone_menu.TOPIC_NODES.values()) <= set(NODES)


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_new_birth_date_on_the_change_menu_asks_about_breastfeeding_and_records_it(
    language: str, words: dict[str, dict[str, tuple[str, ...]]]
) -> None:
    born = dt.date(2026, 11, 20)
    confirm = CallState("sub_date_confirm", language, stage="postpartum", date=born, mode="change")
    asked = step(confirm, words, digits="1")
    assert asked.effects == (ChangeDate("postpartum", born, language),)
    assert state_of(asked).node == "feeding"
    feeding = state_of(asked)
    yes = step(feeding, words, digits="1")
    assert yes.effects == (SetFeeding(True, language),) and state_of(yes).node == "main"
    no = step(feeding, words, speech="No")
    assert no.effects == (SetFeeding(False, language),)
    for skipped in (step(feeding, words, digits="4"), step(feeding, words)):
        assert skipped.effects == () and state_of(skipped).node == "main"
        assert skipped.ask is not None
        assert skipped.ask.lines[0].message_id == "voice.feed.skipped"
    due = CallState("sub_date_confirm", language, stage="pregnant", date=born, mode="change")
    assert state_of(step(due, words, digits="1")).node == "main"


@pytest.mark.parametrize(
    ("language", "said"), [("en", "I stopped breastfeeding"), ("es", "Ya no doy pecho")]
)
def test_weaning_said_at_the_main_menu_is_recorded_only_for_someone_breastfeeding(
    language: str, said: str, words: dict[str, dict[str, tuple[str, ...]]]
) -> None:
    main = CallState("main", language)
    weaned = answer(main, Said(speech=said), TODAY, words, member=True, breastfeeding=True)
    assert weaned.effects == (Weaned(language, f"speech: {said}"),)
    assert weaned.ask is not None and weaned.ask.lines[0].message_id == "voice.feed.weaned"
    assert state_of(weaned).node == "main"
    other = answer(main, Said(speech=said), TODAY, words, member=True)
    assert other.effects == ()
