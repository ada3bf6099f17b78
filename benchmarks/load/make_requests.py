"""Write pre-signed webhook requests for wrk: many distinct numbers, a realistic mix, unique SIDs.

Each line is `path<TAB>X-Twilio-Signature<TAB>urlencoded form`. People are interleaved step by
step (all of a batch's first texts, then their second ...), as many people texting at once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import random
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

OUR_NUMBER = "+15005550006"
ACCOUNT = "AC" + "0" * 32
BATCH = 200
# Valid US area codes; with the fictional 555 exchange, 200,000 distinct numbers.
AREA_CODES = "212 312 415 713 305 617 206 404 512 602 303 718 213 702 215 503 615 919 816 414"
AREA_CODES = AREA_CODES.split()
_sids = itertools.count(1)

Step = tuple[str, dict[str, str]]


def text(phone: str, body: str) -> Step:
    """An incoming text, with a never-used MessageSid."""
    form = {
        "MessageSid": f"SM{next(_sids):032x}",
        "AccountSid": ACCOUNT,
        "From": phone,
        "To": OUR_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }
    return "/sms", form


def call_step(phone: str, call_sid: str, path: str, **answer: str) -> Step:
    """One webhook of a call to our number."""
    form = {
        "CallSid": call_sid,
        "AccountSid": ACCOUNT,
        "From": phone,
        "To": OUR_NUMBER,
        "CallStatus": "in-progress",
        "Direction": "inbound",
        **answer,
    }
    return path, form


def texter(phone: str, rng: random.Random) -> list[Step]:
    """Sign up by text, ask about topics, then one of HELP, STOP, a red flag, BORN or DELETE."""
    due = dt.date.today() + dt.timedelta(days=rng.randint(30, 250))
    spanish = rng.random() < 0.3
    steps = (
        ["UNIRSE", "1", f"{due.day} de {due:%m}", "1", "SI", "calcio", "MENU", "3"]
        if spanish
        else ["JOIN", "1", due.strftime("%B %d"), "1", "YES", "calcium", "MENU", "3"]
    )
    steps.insert(
        6, rng.choice(["what about vitamin d?", "is my back pain normal", "breast feeding"])
    )
    last = rng.choices(
        ["HELP", "STOP", "my back hurts so bad I can't stand", "BORN", "DELETE"],
        weights=[40, 30, 10, 10, 10],
    )[0]
    return [text(phone, body) for body in [*steps, last]]


def caller(phone: str, rng: random.Random) -> list[Step]:
    """Call the line: English, tips, calcium, then "text it to me"."""
    sid = f"CA{next(_sids):032x}"
    return [
        call_step(phone, sid, "/voice"),
        call_step(phone, sid, "/voice/menu?node=language&tries=0", Digits="1"),
        call_step(phone, sid, "/voice/menu?lang=en&node=main&tries=0", Digits="1"),
        call_step(phone, sid, "/voice/menu?lang=en&node=tips&tries=0", SpeechResult="Calcium"),
        call_step(phone, sid, "/voice/menu?lang=en&node=tip_calcium&tries=0", Digits="1"),
    ]


def status_callbacks(phone: str, rng: random.Random) -> list[Step]:
    """A text, then Twilio's callbacks for our TwiML reply to it: sent, delivered, a repeat."""
    path, form = text(phone, rng.choice(["calcium", "HELP", "MENU"]))
    reply_sid = f"SM{next(_sids):032x}"
    callback_path = f"/sms/status?{urlencode({'reply_to': form['MessageSid'], 'n': 0})}"
    callbacks = [
        (callback_path, {"MessageSid": reply_sid, "MessageStatus": status, "AccountSid": ACCOUNT})
        for status in ("sent", "delivered", "delivered")
    ]
    return [(path, form), *callbacks]


FLOWS: list[tuple[Callable[[str, random.Random], list[Step]], int]] = [
    (texter, 4),
    (caller, 1),
    (status_callbacks, 1),
]


def people(count: int, rng: random.Random) -> Iterator[list[Step]]:
    """Each person's steps, in order; every person has their own number."""
    flows, weights = zip(*FLOWS, strict=True)
    for index in range(count):
        area_code = AREA_CODES[index // 10_000 % len(AREA_CODES)]
        phone = f"+1{area_code}555{index % 10_000:04d}"
        yield rng.choices(flows, weights=weights)[0](phone, rng)


def interleaved(count: int, rng: random.Random) -> Iterator[Step]:
    """People in batches; within a batch, everyone's first step, then everyone's second ..."""
    batch: list[list[Step]] = []
    for person in people(count, rng):
        batch.append(person)
        if len(batch) == BATCH:
            yield from _round_robin(batch)
            batch = []
    yield from _round_robin(batch)


def _round_robin(batch: list[list[Step]]) -> Iterator[Step]:
    for row in itertools.zip_longest(*batch):
        yield from (step for step in row if step is not None)


def main() -> None:
    """Write the request file."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--token", required=True, help="TWILIO_AUTH_TOKEN of the service")
    parser.add_argument("--base-url", required=True, help="PUBLIC_BASE_URL of the service")
    parser.add_argument("--out", default="requests.tsv")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    validator = RequestValidator(args.token)
    base = args.base_url.rstrip("/")
    written = 0
    with open(args.out, "w", encoding="utf-8") as out:
        for path, form in interleaved(args.people, random.Random(args.seed)):
            signature = validator.compute_signature(base + path, form)
            out.write(f"{path}\t{signature}\t{urlencode(form)}\n")
            written += 1
    print(f"wrote {written} signed requests for {args.people} people to {args.out}")


if __name__ == "__main__":
    main()
