"""The webhooks' cost in process: replay pre-signed requests through Flask's test client.

    .venv/bin/python benchmarks/webhook_in_process.py [--requests 3000] [--database-url URL]

Writes the load benchmark's request mix (`benchmarks/load/make_requests.py`: texts, calls and
status callbacks from many people, each SID used once), replays the first N through the app
with signatures checked, on a fresh SQLite file unless a database URL is given, and prints the
mean cost per request, per path and overall. No server, no network: this measures our code.
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import parse_qsl

sys.path.insert(0, str(Path(__file__).resolve().parent / "load"))

import make_requests

TOKEN = "bench0123456789abcdef0123456789ab"
BASE_URL = "https://boneline.example.org"


def requests_for(count: int) -> list[tuple[str, str, dict[str, str]]]:
    """The first `count` requests of the load benchmark's mix, signed."""
    validator = make_requests.RequestValidator(TOKEN)
    rng = random.Random(7)
    out = []
    for path, form in make_requests.interleaved(count // 9 + 200, rng):
        signature = validator.compute_signature(BASE_URL + path, form)
        out.append((path, signature, form))
        if len(out) == count:
            break
    return out


def main() -> None:
    """Replay and report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--database-url", default="")
    arguments = parser.parse_args()

    from service.store.db import upgrade
    from service.web import create_app

    with tempfile.TemporaryDirectory() as folder:
        url = arguments.database_url or f"sqlite:///{folder}/bench.sqlite3"
        upgrade(url)
        app = create_app(
            {
                "DATABASE_URL": url,
                "TWILIO_AUTH_TOKEN": TOKEN,
                "PUBLIC_BASE_URL": BASE_URL,
                # The mix's people answer within a second (hundreds of them share each second):
                # faster than anyone types. Loop protection still reads every text's history and
                # runs every check; only its quick-reply limit is 0 s, so they are all answered.
                "LOOP_QUICK_REPLY_SECONDS": 0,
            }
        )
        logging.getLogger().setLevel(logging.WARNING)  # one INFO line a text would swamp this
        client = app.test_client()
        requests = requests_for(arguments.requests)
        by_path: dict[str, list[float]] = defaultdict(list)
        started = time.perf_counter()
        for path, signature, form in requests:
            before = time.perf_counter()
            route, _, query = path.partition("?")
            response = client.post(path, data=form, headers={"X-Twilio-Signature": signature})
            assert response.status_code < 400, (path, response.status_code)
            by_path[route if not dict(parse_qsl(query)) else route + "?..."].append(
                time.perf_counter() - before
            )
        total = time.perf_counter() - started
    print(f"{len(requests)} requests, {total * 1000 / len(requests):.2f} ms a request overall")
    for route, times in sorted(by_path.items()):
        print(f"  {route:24} {len(times):6} requests, mean {statistics.mean(times) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
