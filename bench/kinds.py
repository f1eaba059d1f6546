"""What each request kind of bench/load.py costs alone (issue 16). Not a test.

Under load, 20 clients that never pause wait in gunicorn's queue, so every
kind shows about the same latency (the queue's). This renders each kind
in-process, one after the other (CKAN's Flask app, no network, the load's
ini with its caches as configured), and prints the median wall and CPU time
of --runs requests after --warmup: which kinds the machine's two cores
spend their time on. The request mix is bench/load.py's (`request_for`).

    .venv/bin/python bench/load.py --n 2000 --duration 0   # once: the catalog
    .venv/bin/python bench/kinds.py [--runs 20]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import load  # noqa: E402  (bench/load.py: INI, tokens, request kinds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args(argv)

    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(str(load.INI)))._wsgi_app  # type: ignore[attr-defined]
    client = app.test_client()
    tokens = json.loads(load.TOKENS.read_text())
    found = client.get("/api/3/action/package_search", query_string={"rows": 200, "fl": "name"}).json
    names = [d["name"] for d in found["result"]["results"]]
    rng = random.Random(16)
    print("| request | wall ms | CPU ms |\n|---|---:|---:|")
    for kind in load.KINDS:
        wall, cpu = [], []
        for n in range(args.warmup + args.runs):
            url, params, headers = load.request_for(kind, rng, names, tokens)
            started, started_cpu = time.perf_counter(), time.process_time()
            status = client.get(url, query_string=params, headers=headers).status_code
            if status != 200:
                raise SystemExit(f"{kind}: HTTP {status} for {url}")
            if n >= args.warmup:
                wall.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
        print(f"| {kind} | {1000 * statistics.median(wall):.1f} | {1000 * statistics.median(cpu):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
