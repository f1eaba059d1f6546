"""Machine instructions per cold render of a page, per user (issue 16).
Not a test.

Wall clock and CPU time drift with a shared machine's load (±50 % within
minutes here); the instructions a render executes do not. Each page and
user runs in its own process under valgrind's callgrind, which counts only
between two markers around the measured renders (a three-line C library
built here from valgrind's own header, called through ctypes), after
warm-up renders. Uses the catalog and ini of bench/load.py, as
bench/pages.py does. Prints millions of instructions per render and the
ratio to the anonymous page (the target of issue 16: <= 1.2).

    apt-get install valgrind gcc          # valgrind's header comes with it
    .venv/bin/python bench/instructions.py [--pages /dataset/load-001999-baumkataster,/dataset] [--renders 3]
"""
from __future__ import annotations

import argparse
import ctypes
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import load  # noqa: E402  (bench/load.py: INI, user names)

USERS = [("anonymous", "-"), ("staff", load.STAFF), ("steward", load.STEWARD), ("office", load.OFFICE),
         ("sysadmin", load.ADMIN)]
_MARKERS = """#include <valgrind/callgrind.h>
void bench_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void bench_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS; }
"""


def _markers(workdir: str) -> str:
    source, library = os.path.join(workdir, "markers.c"), os.path.join(workdir, "markers.so")
    Path(source).write_text(_MARKERS)
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", library, source], check=True)
    return library


def render(page: str, user: str, renders: int, library: str) -> None:
    """In the process valgrind runs: warm up, then `renders` counted renders."""
    from ckan.cli import load_config
    from ckan.common import config
    from ckan.config.middleware import make_app

    markers = ctypes.CDLL(library)
    app = make_app(load_config(str(load.INI)))._wsgi_app  # type: ignore[attr-defined]
    config["ckanext.datagovernance.search.cache_ttl"] = 0  # cold: the search cache off
    client = app.test_client()
    if user != "-":
        from ckan import model

        with app.app_context():
            user_id = model.User.get(user).id
        with client.session_transaction() as session:  # a session cookie, as a browser holds
            session["_user_id"], session["_fresh"] = user_id, True
    for _ in range(7):  # PostgreSQL keeps a prepared statement's generic plan from its sixth execution
        assert client.get(page).status_code == 200, page
    markers.bench_start()
    for _ in range(renders):
        client.get(page)
    markers.bench_stop()


def count(page: str, user: str, renders: int, library: str) -> float:
    """Instructions per render, from callgrind's summary of the counted part."""
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=/dev/null",
         sys.executable, __file__, "--render", page, user, str(renders), library],
        capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", run.stderr)
    if not found:
        raise RuntimeError(run.stderr[-2000:])
    return int(found.group(1)) / renders


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", default="/dataset/load-001999-baumkataster,/dataset,/")
    parser.add_argument("--renders", type=int, default=3)
    parser.add_argument("--render", nargs=4, help=argparse.SUPPRESS)  # the process valgrind runs
    args = parser.parse_args(argv)
    if args.render:
        page, user, renders, library = args.render
        render(page, user, int(renders), library)
        return 0
    with tempfile.TemporaryDirectory() as workdir:
        library = _markers(workdir)
        print("| page (cold), millions of instructions per render | " + " | ".join(label for label, _ in USERS) + " |")
        print("|---|" + "---:|" * len(USERS))
        for page in args.pages.split(","):
            cells, base = [], 0.0
            for label, user in USERS:
                n = count(page, user, args.renders, library) / 1e6
                base = base or n
                cells.append(f"{n:.1f}" if label == "anonymous" else f"{n:.1f} ({n / base:.2f}x)")
            print(f"| `{page}` | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
