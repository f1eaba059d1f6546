"""Profile of `ckan search-index rebuild` over the real datasets of a bench
database (bench/search.py builds it): SQL statements per dataset by kind,
CPU ms per dataset and the top functions (cProfile, cumulative).

    .venv/bin/python bench/rebuild_profile.py --ini <ini of the bench database>
"""
from __future__ import annotations

import argparse
import collections
import cProfile
import os
import pstats
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import search as bench  # noqa: E402  (bench/search.py: boot, sql_log, sql)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ini", type=Path, required=True)
    parser.add_argument("--top", type=int, default=30, help="0: no cProfile (its overhead off the figures)")
    parser.add_argument("--fast", action="store_true",
                        help="time `search-index rebuild-fast` (a process per core) instead, no profile")
    args = parser.parse_args(argv)
    bench.boot(args.ini)
    import click
    from ckan.cli.search_index import rebuild as rebuild_command
    from ckan.cli.search_index import search_index
    from ckan.lib import search

    count = bench.sql("SELECT count(*) FROM package WHERE state = 'active'").scalar_one()
    if args.fast:
        from ckan.cli.search_index import rebuild_fast
        bench.sql("SELECT 1")  # the pool holds a connection at the fork, as in the command
        with click.Context(search_index, info_name="search-index") as parent, \
                click.Context(rebuild_fast, info_name="rebuild-fast", parent=parent) as ctx:
            t0 = time.perf_counter()
            ctx.invoke(rebuild_fast.callback)  # in this context, as the CLI runs it
            wall = time.perf_counter() - t0
        print(f"{count} datasets, rebuild-fast with {os.cpu_count()} processes: {count / wall:.0f}/s wall")
        return 0
    log: list = []
    profiler = cProfile.Profile()
    with click.Context(search_index, info_name="search-index") as parent, \
            click.Context(rebuild_command, info_name="rebuild", parent=parent), bench.sql_log(log):
        c0, t0 = time.process_time(), time.perf_counter()
        if args.top:
            profiler.enable()
        search.rebuild(defer_commit=True, quiet=True)
        search.commit()
        profiler.disable()
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    kinds: collections.Counter[str] = collections.Counter()
    for statement, _params, _s in log:
        words = re.sub(r"\s+", " ", statement.strip())[:90]
        kinds[words] += 1
    print(f"{count} datasets: {count / wall:.0f}/s wall, CPU {cpu / count * 1000:.1f} ms/dataset, "
          f"{len(log) / count:.1f} SQL statements/dataset, SQL time {sum(s for *_, s in log) / wall:.0%}")
    for words, n in kinds.most_common(25):
        print(f"  {n / count:6.2f}/ds  {words}")
    if args.top:
        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(
            os.environ.get("BENCH_PROFILE_FILTER", ""), args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
