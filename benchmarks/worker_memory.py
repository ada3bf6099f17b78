"""A web worker's memory: one process builds the app and answers the load mix, then reports.

    .venv/bin/python benchmarks/worker_memory.py [--checkout .] [--requests 3000]

Runs a fresh process that imports `service` from `--checkout` (so two checkouts can be compared
with the same requests), builds the app on a new SQLite file, replays the first N signed
requests of the load mix through Flask's test client, and prints its resident memory after the
app was built and after the requests (and the peak), in MB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def resident_mb() -> float:
    """This process's resident memory now, in MB (Linux)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def worker(count: int) -> None:
    """Build the app, replay `count` requests, print the memory figures as JSON."""
    sys.path.insert(0, str(HERE))
    from webhook_in_process import BASE_URL, TOKEN, requests_for

    from service.store.db import upgrade
    from service.web import create_app

    requests = requests_for(count)
    start = resident_mb()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        upgrade(url)
        app = create_app(
            {
                "DATABASE_URL": url,
                "TWILIO_AUTH_TOKEN": TOKEN,
                "PUBLIC_BASE_URL": BASE_URL,
                "LOOP_QUICK_REPLY_SECONDS": 0,
            }
        )
        built = resident_mb()
        client = app.test_client()
        for path, signature, form in requests:
            response = client.post(path, data=form, headers={"X-Twilio-Signature": signature})
            assert response.status_code < 400, (path, response.status_code)
        answered = resident_mb()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"start": start, "built": built, "answered": answered, "peak": peak}))


def main() -> None:
    """Run the worker in a fresh process against a checkout and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkout", type=Path, default=HERE.parent)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        worker(arguments.requests)
        return
    checkout = arguments.checkout.resolve()
    result = subprocess.run(
        [sys.executable, __file__, "--worker", "--requests", str(arguments.requests)],
        capture_output=True,
        text=True,
        cwd=checkout,
        env={"PYTHONPATH": str(checkout), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    print(
        f"{checkout}: {figures['built']:.1f} MB once the app is built, "
        f"{figures['answered']:.1f} MB after {arguments.requests} requests "
        f"(peak {figures['peak']:.1f} MB; the interpreter alone {figures['start']:.1f} MB)"
    )


if __name__ == "__main__":
    main()
