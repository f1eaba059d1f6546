"""What a page costs a logged-in user against an anonymous visitor (issue 16).
Not a test.

Uses the catalog of bench/load.py (demo municipality + generated datasets,
the ini `make run` writes) and renders each page in-process (CKAN's Flask
app, no network) as an anonymous visitor and as users with internal access:
a staff member, a steward (tasks in the header), the data office (the whole
review queue in the header) and the sysadmin. Cold = search cache off
(cache_ttl 0), warm = on. Prints the median ms and the ratio to the
anonymous page (target <= 1.2) and writes bench/results/pages.md.

    .venv/bin/python bench/load.py --n 2000 --duration 0   # once: the catalog
    .venv/bin/python bench/pages.py [--runs 15]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import load  # noqa: E402  (bench/load.py: INI, TOKENS, user names)

USERS = [("anonymous", None), ("staff", load.STAFF), ("steward", load.STEWARD), ("office", load.OFFICE),
         ("sysadmin", load.ADMIN)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)
    from ckan.cli import load_config
    from ckan.common import config
    from ckan.config.middleware import make_app

    app = make_app(load_config(str(load.INI)))._wsgi_app  # type: ignore[attr-defined]
    client = app.test_client()
    tokens = json.loads(load.TOKENS.read_text())
    anon = json.loads(client.get("/api/3/action/package_search?rows=1&fl=name&fq=name:load-*").data)
    public = anon["result"]["results"][0]["name"]
    pages = ["/", "/dataset", "/dataset?q=Radverkehr", f"/dataset/{public}", "/organization/of-umweltamt",
             "/domain/umwelt-klima"]
    lines = ["| page | cache | " + " | ".join(u for u, _ in USERS) + " |",
             "|---|---|" + "---:|" * len(USERS)]
    worst = 0.0
    default_ttl = config.get("ckanext.datagovernance.search.cache_ttl")
    for cache, ttl in (("cold", 0), ("warm", default_ttl)):
        config["ckanext.datagovernance.search.cache_ttl"] = ttl
        for page in pages:
            cells, base = [], 0.0
            for label, user in USERS:
                headers = {"Authorization": tokens[user]} if user else {}
                times = []
                for k in range(args.warmup + args.runs):
                    t0 = time.perf_counter()
                    res = client.get(page, headers=headers)
                    if res.status_code != 200:
                        raise SystemExit(f"{page} as {label}: HTTP {res.status_code}")
                    if k >= args.warmup:
                        times.append(time.perf_counter() - t0)
                ms = statistics.median(times) * 1000
                if user is None:
                    base = ms
                    cells.append(f"{ms:.0f}")
                else:
                    worst = max(worst, ms / base)
                    cells.append(f"{ms:.0f} ({ms / base:.2f}x)")
            lines.append(f"| `{page}` | {cache} | " + " | ".join(cells) + " |")
            print(lines[-1], flush=True)
    text = "\n".join([f"**Pages** (`bench/pages.py`, median ms of {args.runs} in-process renders; "
                      "ratio to the anonymous page)", "", *lines, "",
                      f"Worst logged-in/anonymous ratio: {worst:.2f}x (target <= 1.2)."])
    (load.RESULTS / "pages.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
