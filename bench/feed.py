"""What one DCAT feed page costs (issue 16). Not a test.

Uses the catalog of bench/load.py (demo municipality + generated datasets,
the ini `make run` writes) and renders feed pages in-process (CKAN's Flask
app, no network) as an anonymous harvester: `/catalog.ttl?page=N` (ckanext-dcat's
endpoint, what bench/load.py requests) and `/catalog/govdata.ttl?page=N`.
Cold = the search cache and the feed cache off; warm = both on (the pages
rendered once before). Per page it prints the median wall ms, the median CPU
ms of the process and the SQL statements of one render; CPU time and
statement counts do not depend on the load of the machine.

    .venv/bin/python bench/load.py --n 2000 --duration 0   # once: the catalog
    .venv/bin/python bench/feed.py [--runs 10]
    .venv/bin/python bench/feed.py --profile '/catalog.ttl?page=1'   # cProfile of one cold render
    .venv/bin/python bench/feed.py --dump DIR      # write the pages' bodies ...
    .venv/bin/python bench/feed.py --compare DIR   # ... and check later ones are the same graphs
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import benchlib  # noqa: E402
import load  # noqa: E402  (bench/load.py: INI)

PAGES = [f"/catalog.ttl?page={n}" for n in (1, 2, 3)] + [
    f"/catalog/govdata.ttl?page={n}" for n in (1, 2, 3)] + ["/catalog/hvd.ttl?page=1"]
SEARCH_TTL = "ckanext.datagovernance.search.cache_ttl"
FEED_CACHE = "ckanext.datagovernance.dcat.cache_ttl"


def _file(page: str) -> str:
    return page.strip("/").replace("/", "_").replace("?", "_").replace("=", "") + ".ttl"


def _canonical(graph: Any) -> Any:
    """The graph with xsd:decimal literals in one lexical form: rdflib's
    Turtle serializer writes the value 10 as `10.0`, the page writer keeps the
    profile's `"10"^^xsd:decimal` (the same value)."""
    from decimal import Decimal

    import rdflib
    from rdflib.namespace import XSD

    out = rdflib.Graph()
    for s, p, o in graph:
        if isinstance(o, rdflib.Literal) and o.datatype == XSD.decimal:
            o = rdflib.Literal(format(Decimal(str(o)).normalize(), "f"), datatype=XSD.decimal)
        out.add((s, p, o))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--profile", metavar="PAGE", help="print a cProfile of PAGE (cold) and stop")
    parser.add_argument("--dump", type=Path, help="write the body of each page (cold) into this directory")
    parser.add_argument("--compare", type=Path, help="compare each page (cold and warm) with a --dump directory")
    args = parser.parse_args(argv)
    import sqlalchemy as sa
    from ckan.cli import load_config
    from ckan.common import config
    from ckan.config.middleware import make_app
    from ckan.model import meta

    app = make_app(load_config(str(load.INI)))._wsgi_app  # type: ignore[attr-defined]
    client = app.test_client()
    statements = [0]

    def count(*_args: object) -> None:
        statements[0] += 1

    sa.event.listen(meta.engine, "before_cursor_execute", count)
    search_ttl = config.get(SEARCH_TTL)
    feed_ttl = config.get(FEED_CACHE) or 86400

    def mode(cache: str) -> None:
        config[SEARCH_TTL] = 0 if cache == "cold" else search_ttl
        config[FEED_CACHE] = 0 if cache == "cold" else feed_ttl

    if args.profile:
        mode("cold")
        for _ in range(args.warmup):
            client.get(args.profile)
        statements[0] = 0
        prof = cProfile.Profile()
        prof.enable()
        res = client.get(args.profile)
        prof.disable()
        print(f"{args.profile}: HTTP {res.status_code}, {len(res.data)} bytes, {statements[0]} SQL statements")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(70)
        pstats.Stats(prof).sort_stats("tottime").print_stats(40)
        return 0
    if args.dump:
        mode("cold")
        args.dump.mkdir(parents=True, exist_ok=True)
        for page in PAGES:
            res = client.get(page)
            (args.dump / _file(page)).write_bytes(res.data)
        print(f"{len(PAGES)} pages written to {args.dump}")
        return 0
    if args.compare:
        import rdflib
        from rdflib.compare import isomorphic

        bad = 0
        for cache in ("cold", "warm", "warm"):
            mode(cache)
            for page in PAGES:
                body = client.get(page).data
                a = _canonical(rdflib.Graph().parse(data=(args.compare / _file(page)).read_bytes(),
                                                    format="turtle"))
                b = _canonical(rdflib.Graph().parse(data=body, format="turtle"))
                same = isomorphic(a, b)
                bad += not same
                print(f"{page} ({cache}): {len(a)} / {len(b)} triples, isomorphic: {same}")
        return 1 if bad else 0

    rows = ["| page | cache | median ms | CPU ms (median) | SQL statements | KiB |", "|---|---|---:|---:|---:|---:|"]
    summary: dict[str, list[float]] = {}
    for cache in ("cold", "warm"):
        mode(cache)
        for page in PAGES:
            times, cpu, sql, res = benchlib.time_renders(page, lambda page=page: client.get(page), args.runs,
                                                         args.warmup, statements)
            size = len(res.data)
            row = (f"| `{page}` | {cache} | {statistics.median(times) * 1000:.0f} | "
                   f"{statistics.median(cpu) * 1000:.0f} | {statistics.median(sql):.0f} | {size / 1024:.0f} |")
            summary.setdefault(cache, []).extend(cpu)
            rows.append(row)
            print(row, flush=True)
    text = "\n".join([
        f"**Feed pages** (`bench/feed.py --runs {args.runs}`, in-process renders, anonymous; "
        f"load average {benchlib.load_average():.1f}, {os.cpu_count()} cores)", "", *rows, "",
        "CPU ms per page, median over all pages: " + ", ".join(
            f"{c} {statistics.median(v) * 1000:.0f}" for c, v in summary.items())])
    benchlib.write_result("feed.md", text)
    (benchlib.RESULTS / "feed.json").write_text(json.dumps(
        {c: statistics.median(v) * 1000 for c, v in summary.items()}))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
