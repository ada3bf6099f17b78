"""Compare two checkouts' webhook cost in process, interleaved, on a busy machine.

    .venv/bin/python benchmarks/webhook_ab.py --before /tmp/old-checkout [--after .]
        [--requests 3000] [--chunk 50] [--repeat 3]

`webhook_in_process.py` run once per checkout measures each at a different moment, and on a
shared machine the load changes from one minute to the next by more than the difference we are
looking for. Here two worker processes (one per checkout, each on its own fresh SQLite file)
replay the same signed requests of the load mix in the same order, a chunk at a time, taking
turns (before, after, after, before, ...): each pair of chunks ran the same requests within a
second of each other, so it met the same load. Prints each checkout's totals and the median of
the per-chunk ratios after/before, on the clock and in CPU time (which waiting for a core does
not inflate), which is what to read.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def worker(count: int) -> None:
    """Serve `go N` lines from the driver: replay the next N requests, answer the seconds taken."""
    sys.path.insert(0, str(HERE))
    from webhook_in_process import BASE_URL, TOKEN, requests_for

    from service.store.db import upgrade
    from service.web import create_app

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        upgrade(url)
        app = create_app(
            {
                "DATABASE_URL": url,
                "TWILIO_AUTH_TOKEN": TOKEN,
                "PUBLIC_BASE_URL": BASE_URL,
                # As in webhook_in_process.py: the mix's people answer faster than anyone types.
                "LOOP_QUICK_REPLY_SECONDS": 0,
            }
        )
        logging.getLogger().setLevel(logging.WARNING)
        client = app.test_client()
        pending = iter(requests_for(count))
        print("ready", flush=True)
        for line in sys.stdin:
            started, cpu_started = time.perf_counter(), time.process_time()
            for _ in range(int(line.split()[1])):
                path, signature, form = next(pending)
                response = client.post(path, data=form, headers={"X-Twilio-Signature": signature})
                assert response.status_code < 400, (path, response.status_code)
            taken = [time.perf_counter() - started, time.process_time() - cpu_started]
            print(json.dumps(taken), flush=True)


def start(checkout: Path, count: int) -> subprocess.Popen[str]:
    """A worker importing `service` from `checkout`."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--worker", "--requests", str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=checkout,
        env={"PYTHONPATH": str(checkout), "PATH": "/usr/bin:/bin"},
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def run_chunk(process: subprocess.Popen[str], size: int) -> tuple[float, float]:
    """Have one worker replay `size` requests; the seconds it took, on the clock and of CPU."""
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(f"go {size}\n")
    process.stdin.flush()
    wall, cpu = json.loads(process.stdout.readline())
    return float(wall), float(cpu)


def main() -> None:
    """Drive both workers in turns and report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, help="the checkout to compare against")
    parser.add_argument("--after", type=Path, default=HERE.parent)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--chunk", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        worker(arguments.requests)
        return
    if arguments.before is None:
        parser.error("--before is required")
    ratios: dict[str, list[float]] = {"clock": [], "CPU": []}
    totals = {"before": [0.0, 0.0], "after": [0.0, 0.0]}
    for _ in range(arguments.repeat):
        workers = {
            "before": start(arguments.before.resolve(), arguments.requests),
            "after": start(arguments.after.resolve(), arguments.requests),
        }
        for index in range(arguments.requests // arguments.chunk):
            order = ["before", "after"] if index % 2 == 0 else ["after", "before"]
            taken = {name: run_chunk(workers[name], arguments.chunk) for name in order}
            ratios["clock"].append(taken["after"][0] / taken["before"][0])
            ratios["CPU"].append(taken["after"][1] / taken["before"][1])
            for name, (wall, cpu) in taken.items():
                totals[name][0] += wall
                totals[name][1] += cpu
        for process in workers.values():
            assert process.stdin is not None
            process.stdin.close()
            process.wait()
    requests = arguments.requests * arguments.repeat
    for name, (wall, cpu) in totals.items():
        print(
            f"{name:6} {wall * 1000 / requests:.2f} ms a request on the clock, "
            f"{cpu * 1000 / requests:.2f} ms of CPU ({requests} requests)"
        )
    for kind, values in ratios.items():
        quartiles = statistics.quantiles(values, n=4)
        print(
            f"after/before ({kind}), median of {len(values)} paired chunks: "
            f"{statistics.median(values):.3f} (quartiles {quartiles[0]:.3f} to {quartiles[2]:.3f})"
        )


if __name__ == "__main__":
    main()
