"""What recording a portal's feed fetch costs (issue 12, publication record).

    .venv/bin/python bench/publication.py --ini ckan.ini [--runs 200] [--ids 100]

Times ``publication.record_fetch`` (the one upsert + commit per fetched feed
page, with the page's dataset ids) against the site's database, then removes
its rows. Prints median and p95 in ms.
"""
from __future__ import annotations

import argparse
import statistics
import time

from benchlib import load_average, p95


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ini", default="ckan.ini")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--ids", type=int, default=100, help="datasets per page")
    args = ap.parse_args()
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(args.ini))
    import sqlalchemy as sa
    from ckan import model

    from ckanext.datagovernance.dcat import publication

    ids = [f"00000000-0000-0000-0000-{i:012d}" for i in range(args.ids)]
    times = []
    with app._wsgi_app.test_request_context():
        for i in range(args.runs):
            start = time.perf_counter()
            publication.record_fetch("govdata", f"/bench/page={i % 50}", ids)
            times.append(time.perf_counter() - start)
        model.Session.execute(sa.text(
            "DELETE FROM datagovernance_feed_fetch WHERE page_url LIKE '/bench/%'"))
        model.Session.commit()
    print(f"record_fetch, {args.ids} ids per page, {args.runs} runs over 50 page URLs: "
          f"median {statistics.median(times) * 1000:.1f} ms, "
          f"p95 {p95(times) * 1000:.1f} ms (load average {load_average():.1f})")


if __name__ == "__main__":
    main()
