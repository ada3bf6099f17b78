"""Benchmark the understanding layer in process: model load time and memory, and the time to
read one message (`understand`), over the held-out and benign messages.

    .venv/bin/python benchmarks/understanding.py              # uses the cached model
    .venv/bin/python benchmarks/understanding.py --train      # trains in a fresh cache first

Targets (issue 12): median <= 1 ms and p99 <= 5 ms a message; the model loaded once per process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    """Measure, print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", action="store_true", help="train in a fresh cache folder")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the messages")
    args = parser.parse_args()

    # What a web worker has loaded anyway: the catalog and its keyword tables.
    from service.words.catalog import default_catalog
    from service.words.keywords import Keywords

    Keywords.from_catalog(default_catalog())
    before_import = rss_mb()
    started = time.perf_counter()
    from service.understanding import corpus, load_model, understand
    from service.understanding.model import default_cache_dir

    imported = time.perf_counter()
    after_import = rss_mb()
    cache_dir = Path(tempfile.mkdtemp()) if args.train else default_cache_dir()
    model = load_model(cache_dir=cache_dir)
    loaded = time.perf_counter()
    after_load = rss_mb()

    messages = [
        e.text for split in (corpus.HELDOUT, corpus.BENIGN) for e in corpus.read_split(split)
    ]
    understand(messages[0], model=model)  # the keyword tables are built on first use
    timings, cpu = [], []
    for _ in range(args.rounds):
        for message in messages:
            start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
            understand(message, model=model)
            cpu.append((time.thread_time_ns() - start_cpu) / 1e6)
            timings.append((time.perf_counter_ns() - start) / 1e6)
    timings.sort()
    cpu.sort()
    p99 = timings[int(len(timings) * 0.99) - 1]
    cpu_p99 = cpu[int(len(cpu) * 0.99) - 1]

    print(f"python {sys.version.split()[0]}; {len(messages)} messages x {args.rounds} rounds")
    print(f"import the understanding package (numpy)  {imported - started:7.2f} s")
    label = "train and cache" if args.train else "load from cache"
    print(f"model: {label:31}  {loaded - imported:7.2f} s")
    print(
        f"memory: with the catalog {before_import:.0f} MB, after the import {after_import:.0f} MB,"
    )
    print(f"        after the model {after_load:.0f} MB (+{after_load - before_import:.0f} MB)")
    print(f"understand(): median {statistics.median(timings):.3f} ms, p99 {p99:.3f} ms,")
    print(f"              mean {statistics.fmean(timings):.3f} ms, max {timings[-1]:.3f} ms")
    print(f"  CPU time:   median {statistics.median(cpu):.3f} ms, p99 {cpu_p99:.3f} ms,")
    print(f"              max {cpu[-1]:.3f} ms (the wall clock above includes waiting for a CPU)")
    print(f"load average while measuring: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
