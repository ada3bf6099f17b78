"""Black-box figures for the understanding layer: every held-out and benign message through the
signed /sms webhook, as a person who has just joined (pregnant) and as a stranger.

Run by hand (about two minutes):  .venv/bin/python benchmarks/understanding_webhooks.py [--blind]

It reads only what a person would see and what the care team would get: the reply's catalog ids
(from the messages table) and whether an escalation was opened. It never calls `understand()`.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from service.store.db import upgrade
from service.store.models import Escalation, Message
from service.vocabulary import Direction
from service.web import create_app

CORPUS = Path(__file__).resolve().parents[1] / "messages" / "corpus"
TOKEN = "0123456789abcdef0123456789abcdef"
BASE = "https://boneline.example.org"
JOIN = ("JOIN", "1", "30 weeks", "YES", "1", "YES")
JOIN_ES = ("UNIRSE", "1", "30 semanas", "SI", "1", "SI")
_numbers = itertools.count(2125550000)
_sids = itertools.count(1)


def labelled(split: str) -> Iterator[tuple[str, str, str]]:
    """(language, label, message) for every line of a split; benign lines are labelled none."""
    if split == "benign":
        for path in sorted((CORPUS / "benign").glob("*.txt")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip() and not line.startswith("#"):
                    yield path.stem, "none", line.strip()
        return
    for path in sorted((CORPUS / split).glob("*/*.txt")):
        label = path.stem.split("~")[0]
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                yield path.parent.name, label, line.strip()


class Line:
    """A signed-webhook client for one app."""

    def __init__(self, url: str) -> None:
        self.app = create_app(
            {
                "DATABASE_URL": url,
                "TWILIO_AUTH_TOKEN": TOKEN,
                "PUBLIC_BASE_URL": BASE,
                "LOOP_QUICK_REPLY_COUNT": 0,
                "TESTING": True,
            }
        )
        self.client = self.app.test_client()
        self.validator = RequestValidator(TOKEN)
        self.db = self.app.extensions["boneline"].db

    def text(self, phone: str, body: str) -> int:
        """Post one signed text; return the HTTP status."""
        form = {
            "MessageSid": f"SM{next(_sids):032x}",
            "AccountSid": "AC" + "0" * 32,
            "From": phone,
            "To": "+15005550006",
            "Body": body,
            "NumMedia": "0",
        }
        signature = self.validator.compute_signature(BASE + "/sms", form)
        response = self.client.post("/sms", data=form, headers={"X-Twilio-Signature": signature})
        return response.status_code

    def reply_ids(self, phone: str, after: int) -> list[str]:
        """The catalog ids of what was sent back to `phone` after message row `after`."""
        with self.db.Session() as session:
            rows = session.scalars(
                sa.select(Message.message_id).where(
                    Message.phone == phone,
                    Message.direction == Direction.OUTBOUND,
                    Message.id > after,
                )
            ).all()
        return [row or "" for row in rows]

    def last_message_id(self) -> int:
        """The newest message row's id."""
        with self.db.Session() as session:
            return session.scalar(sa.select(sa.func.coalesce(sa.func.max(Message.id), 0))) or 0

    def escalations(self, phone: str) -> int:
        """How many safety escalations `phone` has opened (a loss's follow-up is not one)."""
        with self.db.Session() as session:
            count = session.scalar(
                sa.select(sa.func.count())
                .select_from(Escalation)
                .where(Escalation.phone == phone, Escalation.reason.not_like("%follow%"))
            )
            return count or 0


def run(line: Line, split: str, enrolled: bool) -> dict[str, collections.Counter[str]]:
    """Send every message of a split; count outcomes per label family."""
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for language, label, body in labelled(split):
        phone = f"+1{next(_numbers)}"
        if enrolled:
            steps = JOIN if language == "en" else JOIN_ES
            for step in steps:
                line.text(phone, step)
        before = line.last_message_id()
        escalated_before = line.escalations(phone)
        status = line.text(phone, body)
        ids = line.reply_ids(phone, before)
        alarm = line.escalations(phone) > escalated_before
        safety_reply = alarm or any(i.startswith(("safety", "checkin_reply.pain")) for i in ids)
        family = label.split(".")[0]
        if (
            SHOW
            and label.startswith(SHOW)
            and (alarm or not ids or any("not_understood" in i for i in ids))
        ):
            print(f"  {label} {'ALARM ' if alarm else ''}{ids} <- {body}")
        tally = counts[family]
        tally["messages"] += 1
        tally["http_not_200"] += status != 200
        tally["no_reply"] += not ids
        tally["not_understood"] += any("not_understood" in i or "unknown" in i for i in ids)
        tally["alarm"] += alarm
        tally["safety_reply"] += safety_reply
        tally["join_only"] += ids == ["stranger.join"] or ids == ["join.hint"]
        if family == "topic":
            tally["right_topic"] += label in ids
            tally["did_you_mean"] += any(i.startswith("menu.which") for i in ids)
    return counts


def report(title: str, counts: dict[str, collections.Counter[str]]) -> None:
    """Print the figures the issue names."""
    print(f"\n## {title}")
    for family, tally in sorted(counts.items()):
        n = tally["messages"]
        parts = [f"{family}: {n} messages"]
        if family == "topic":
            parts.append(f"right topic {tally['right_topic'] / n:.1%}")
            parts.append(f"did-you-mean {tally['did_you_mean'] / n:.1%}")
        if family == "safety":
            parts.append(f"red-flag recall (safety reply) {tally['safety_reply'] / n:.1%}")
            parts.append(f"alarmed at once {tally['alarm'] / n:.1%}")
        else:
            parts.append(f"false alarms (escalation) {tally['alarm'] / n:.1%}")
            parts.append(f"safety replies {tally['safety_reply'] / n:.1%}")
        parts.append(f"not understood {tally['not_understood'] / n:.1%}")
        parts.append(f"no reply {tally['no_reply']}; non-200 {tally['http_not_200']}")
        print("- " + "; ".join(parts))


SHOW = ""


def main() -> int:
    """Run held-out and benign (and blind with --blind), enrolled and as strangers."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--blind", action="store_true", help="also the blind set (report only)")
    parser.add_argument(
        "--show", default="", help="print misread messages of labels with this prefix"
    )
    options = parser.parse_args()
    global SHOW
    SHOW = options.show
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/bench.db"
        upgrade(url)
        line = Line(url)
        splits = ["heldout", "benign"] + (["blind"] if options.blind else [])
        for split in splits:
            report(f"{split}, just joined (pregnant)", run(line, split, enrolled=True))
            report(f"{split}, a stranger", run(line, split, enrolled=False))
        line.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
