"""Safety triage: the one table of warning signs (shared by texts, the phone line and check-ins),
and the rule that turns the model's probabilities into an alarm, a check, or neither."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass

from service.vocabulary import Stage

SAFETY_PREFIX = "safety."


class SafetyFamily(enum.StrEnum):
    """The warning signs BoneLine recognizes (the corpus's `safety.*` labels)."""

    BACK_PAIN = "back_pain"
    FALL = "fall"
    FRACTURE = "fracture"
    CHEST_PAIN = "chest_pain"
    BREATHING = "breathing"
    SEIZURE = "seizure"
    FAINTING = "fainting"
    HEADACHE_VISION = "headache_vision"
    BLEEDING = "bleeding"
    FLUID_LEAK = "fluid_leak"
    CONTRACTIONS = "contractions"
    BABY_MOVEMENT = "baby_movement"
    SELF_HARM = "self_harm"
    FEVER = "fever"
    SWELLING = "swelling"
    VOMITING = "vomiting"
    BELLY_PAIN = "belly_pain"
    LEG_CLOT = "leg_clot"
    EXHAUSTION = "exhaustion"

    @property
    def label(self) -> str:
        """The corpus label, `safety.<family>`."""
        return SAFETY_PREFIX + self.value


class Urgency(enum.StrEnum):
    """What the reply tells the person to do first."""

    CALL_911 = "call_911"
    CALL_CARE_TEAM_TODAY = "call_care_team_today"


@dataclass(frozen=True)
class SafetyRule:
    """One row of the triage table: what a text, a call and a check-in say, and who is told."""

    family: SafetyFamily
    urgency: Urgency
    reply_id: str
    voice_id: str
    check_id: str
    alert: bool


def _rule(family: SafetyFamily, urgency: Urgency) -> SafetyRule:
    """A row whose texts are named after the family; every warning sign alerts the care team."""
    name = family.value
    return SafetyRule(
        family=family,
        urgency=urgency,
        reply_id=f"safety.{name}",
        voice_id=f"voice.safety.{name}",
        check_id=f"safety_check.{name}",
        alert=True,
    )


_911 = Urgency.CALL_911
_TODAY = Urgency.CALL_CARE_TEAM_TODAY
# Urgency follows the AWHONN POST-BIRTH and CDC "Hear Her" warning signs: 911 for chest pain,
# breathing, seizures, fainting, heavy bleeding and thoughts of harm; the care team right away
# (911 if it is very bad) for the rest. A fall and a broken bone share one rule
# (shared-rules.md): 911 if you cannot move or stand, the pain is severe or a bone looks out of
# place; otherwise the care team today.
SAFETY_TABLE: Mapping[SafetyFamily, SafetyRule] = {
    family: _rule(family, urgency)
    for family, urgency in (
        (SafetyFamily.BACK_PAIN, _TODAY),
        (SafetyFamily.FALL, _TODAY),
        (SafetyFamily.FRACTURE, _TODAY),
        (SafetyFamily.CHEST_PAIN, _911),
        (SafetyFamily.BREATHING, _911),
        (SafetyFamily.SEIZURE, _911),
        (SafetyFamily.FAINTING, _911),
        (SafetyFamily.HEADACHE_VISION, _TODAY),
        (SafetyFamily.BLEEDING, _911),
        (SafetyFamily.FLUID_LEAK, _TODAY),
        (SafetyFamily.CONTRACTIONS, _TODAY),
        (SafetyFamily.BABY_MOVEMENT, _TODAY),
        (SafetyFamily.SELF_HARM, _911),
        (SafetyFamily.FEVER, _TODAY),
        (SafetyFamily.SWELLING, _TODAY),
        (SafetyFamily.VOMITING, _TODAY),
        (SafetyFamily.BELLY_PAIN, _TODAY),
        (SafetyFamily.LEG_CLOT, _TODAY),
        (SafetyFamily.EXHAUSTION, _TODAY),
    )
}

# Signs of pregnancy: after the birth they are no alarm (cramps after birth are common), only a
# check that says what to do if it is happening.
PREGNANCY_ONLY = frozenset(
    {SafetyFamily.CONTRACTIONS, SafetyFamily.FLUID_LEAK, SafetyFamily.BABY_MOVEMENT}
)


@dataclass(frozen=True)
class Thresholds:
    """Where safety probabilities turn into replies (chosen on out-of-fold predictions)."""

    alarm: float  # safety probability for SAFETY (a reply and an alert)
    alarm_cued: float  # the same, when the text has a not-a-report cue
    check: float  # safety probability for SAFETY_CHECK
    check_cued: float  # the same, when the text has a not-a-report cue
    lead: float  # a non-safety label this sure wins over a check
    lead_cued: float  # the same, when the text has a not-a-report cue


# Chosen by `boneline understanding check --folds 5` (`choose_thresholds`): the lowest cost on
# 5-fold out-of-fold predictions of the training split with at most 2% false alarms: a missed
# red flag costs 30 needless checks, a needless alarm (911 and an alert) 10, and a warning sign
# with a check but no alert 3.
THRESHOLDS = Thresholds(
    alarm=0.35, alarm_cued=0.6, check=0.05, check_cued=0.1, lead=1.0, lead_cued=0.9
)
MISSED_RED_FLAG_COST = 30.0
NEEDLESS_ALARM_COST = 10.0
# A check tells a person who asked something harmless what to do "if" a sign is happening, often
# naming 911: worth avoiding twice as much as a plain extra text (with 1, a fifth of the benign
# look-alikes got one; with 2 out-of-fold misses grow by 11 of 5,000 and the held-out recall stays).
NEEDLESS_CHECK_COST = 2.0
# A warning sign that got a check but no alarm still says what to do, but the care team is not
# told: as bad as a needless alarm.
MISSING_ALERT_COST = 3.0


class Triage(enum.StrEnum):
    """What the safety step decided."""

    ALARM = "alarm"
    CHECK = "check"
    NONE = "none"


_WORD = r"(?:^|\s)(?:{})(?=\s|$)"


def _words(*phrases: str) -> re.Pattern[str]:
    """A pattern that finds any of the phrases as whole words in a normalized text."""
    return re.compile(_WORD.format("|".join(phrases)))


# Cues that a message is not a report of something happening now (normalized text: lower case,
# no accents, "?" as its own word). They make a check need more, and an alarm need more.
_QUESTION = _words(
    r"\?",
    r"¿",
    r"is it normal",
    r"is it ok",
    r"is it safe",
    r"is that normal",
    r"should i worry",
    r"what if",
    r"how do i know",
    r"when should i",
    r"can .+ hurt",
    r"could .+ hurt",
    r"might .+ hurt",
    r"es normal",
    r"que pasa si",
    r"como se",
    r"cuando debo",
    r"puede .+ danar",
    r"pueden .+ danar",
)
_QUESTION_START = re.compile(
    r"^(?:what|which|how|why|when|should|could|would|does|do|is|are|will|whats|que|cual|cuales|"
    r"como|cuando|cuanto|debo|deberia|puedo|es|hay|porque|por que)\s"
)
# "no" alone is no cue: in Spanish it is in most reports ("no puedo respirar", "no se mueve").
_NEGATION = _words(
    r"no (?:\w+ ){0,2}(?:pain|bleeding|blood|fever|problems?|issues?|contractions)",
    r"not",
    r"never",
    r"dont",
    r"didnt",
    r"isnt",
    r"wasnt",
    r"havent",
    r"hasnt",
    r"doesnt",
    r"(?:don|didn|isn|wasn|haven|hasn|doesn|aren|won) t",
    r"without",
    r"nunca",
    r"sin",
    r"nada de",
    r"ya no me duele",
    r"no tengo (?:dolor|fiebre|sangrado|contracciones)",
    r"tampoco",
)
_PAST = _words(
    r"fine now",
    r"i ?m (?:fine|ok|okay|good)",
    r"i am (?:fine|ok|okay|good)",
    r"ok now",
    r"okay now",
    r"better now",
    r"went away",
    r"is gone",
    r"gone now",
    r"last (?:week|month|year|time)",
    r"years ago",
    r"months ago",
    r"used to",
    r"heard",
    r"read that",
    r"my (?:friend|sister|mom|cousin|aunt)",
    r"ya paso",
    r"ya estoy bien",
    r"estoy bien",
    r"la semana pasada",
    r"el (?:mes|ano) pasado",
    r"hace (?:anos|meses)",
    r"mi (?:amiga|hermana|mama|prima|tia)",
    r"escuche",
    r"lei que",
    r"lol",
    r"lmao",
    r"haha\w*",
    r"jaja\w*",
)
# "It stopped hurting", with no "but now": a resolved complaint, never an alarm (at most a check).
_RESOLVED = _words(
    r"(?:fine|better|ok|okay) now",
    r"ya no me duele",
    r"ya no duele",
    r"ya se me quito",
    r"ya se quito el dolor",
    r"(?:doesn t|don t|doesnt|dont) hurt any ?more",
)
_BUT_NOW = _words(r"but", r"pero", r"now i", r"ahora")
# After the birth, some bleeding is normal for weeks: only an amount makes it an alarm.
_HEAVY_BLEEDING = _words(
    r"pads?",
    r"soak\w*",
    r"clots?",
    r"a lot",
    r"alot",
    r"lots",
    r"heavy",
    r"heavily",
    r"so much",
    r"gush\w*",
    r"pour\w*",
    r"won ?t stop",
    r"wont stop",
    r"hemorrhag\w*",
    r"toallas?",
    r"empap\w*",
    r"coagul\w*",
    r"mucha sangre",
    r"mucho",
    r"chorro\w*",
    r"abundante",
    r"no para",
    r"no se detiene",
)


# Pain said to be severe, in a named place: a report the model must never read as a topic
# ("I have severe back pain" is the program's first warning sign, however the model leans).
_SEVERE = _words(
    r"severe\w*",
    r"terribl[ey]",
    r"horribl[ey]",
    r"unbearabl[ey]",
    r"excruciating",
    r"agoniz\w*",
    r"worst",
    r"awful",
    r"extreme\w*",
    r"(?:really|so|very|too) bad",
    r"(?:can t|cant|cannot|can not) (?:walk|move|stand|sit|get up|get out of bed|breathe)",
    r"insoportable",
    r"terrible",
    r"horrible",
    r"(?:muy|bien|super) fuerte",
    r"fuertisim[oa]",
    r"no aguanto",
    r"no (?:puedo|pudo) (?:caminar|moverme|mover|pararme|levantarme|sentarme)",
)
_SEVERE_PLACES = (
    (SafetyFamily.BACK_PAIN, _words(r"back", r"spine", r"backbone", r"espalda", r"columna")),
    (SafetyFamily.HEADACHE_VISION, _words(r"headache", r"migraine", r"cabeza", r"jaqueca")),
    (
        SafetyFamily.BELLY_PAIN,
        _words(r"belly", r"stomach", r"abdomen", r"tummy", r"barriga", r"panza", r"vientre"),
    ),
    # "pecho" is breast as well as chest in Spanish, so only the English word counts here.
    (SafetyFamily.CHEST_PAIN, _words(r"chest")),
)


def named_severe_sign(normalized: str) -> SafetyFamily | None:
    """The family of pain reported as severe in a named place ("severe back pain", "me duele la
    espalda, no puedo caminar"), or None; questions, denials and past states never count."""
    if not _SEVERE.search(normalized) or not_a_report(normalized) or resolved(normalized):
        return None
    for family, place in _SEVERE_PLACES:
        if place.search(normalized):
            return family
    return None


def not_a_report(normalized: str) -> bool:
    """Whether the text reads as a question, a denial or something past or someone else's."""
    return bool(
        _QUESTION.search(normalized)
        or _QUESTION_START.search(normalized)
        or _NEGATION.search(normalized)
        or _PAST.search(normalized)
    )


def resolved(normalized: str) -> bool:
    """Whether the text says a complaint has gone ("my back is fine now"), with no "but now"."""
    return bool(_RESOLVED.search(normalized)) and not _BUT_NOW.search(normalized)


def heavy_bleeding(normalized: str) -> bool:
    """Whether a bleeding message gives an amount (pads, clots, soaking, a lot)."""
    return bool(_HEAVY_BLEEDING.search(normalized))


def can_alarm(family: SafetyFamily, normalized: str, stage: Stage | None) -> bool:
    """Whether this family is an alarm at this stage and in these words (else at most a check)."""
    if stage is Stage.POSTPARTUM and family in PREGNANCY_ONLY:
        return False
    if resolved(normalized):
        return False
    return not (
        stage is Stage.POSTPARTUM
        and family is SafetyFamily.BLEEDING
        and not heavy_bleeding(normalized)
    )


def decide(
    safety: float,
    best_other: float,
    cued: bool,
    alarm_allowed: bool,
    thresholds: Thresholds = THRESHOLDS,
) -> Triage:
    """Alarm, check or nothing, from the likeliest warning sign's probability and the best
    other label's (the likeliest sign, not the sum of all: a message the model cannot read
    spreads a little over all 19, and that is no sign)."""
    alarm = thresholds.alarm_cued if cued else thresholds.alarm
    if alarm_allowed and safety >= alarm:
        return Triage.ALARM
    check = thresholds.check_cued if cued else thresholds.check
    lead = thresholds.lead_cued if cued else thresholds.lead
    if safety >= check and (best_other < lead or safety >= alarm):
        return Triage.CHECK
    return Triage.NONE
