"""Quality score per dataset (issue 13). Not a test.

The score job computes one dataset at a time: its DCAT-AP.de graph
(ckanext-dcat profiles), the SHACL validation of that graph and the MQA
indicators. Measures ``quality.score.compute`` on N feed datasets of
``bench/dcat.py`` (created through package_create, DCAT-AP.de complete,
about 10 % HVD), twice in the same process: "as before" (profile classes
looked up and SHACL shapes parsed on every call, as the code did until
2026-11-29) and as now (once per process / thread); the results must be
identical. Writes bench/results/score-<N>.md.

    bin/ensure-db.sh datagovernance_bench_score
    nice -n 10 .venv/bin/python bench/score.py --n 30    # --reuse keeps the catalog
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

from benchlib import load_average, p95, write_result  # noqa: E402  (bench/benchlib.py)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="keep the catalog of an earlier run")
    parser.add_argument("--ini", type=Path, default=HERE / "score.ini")
    args = parser.parse_args()
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(str(args.ini)))
    sys.path.insert(0, str(HERE))
    import dcat as dcat_bench  # bench/dcat.py: its catalog

    with app._wsgi_app.test_request_context():
        import ckan.plugins.toolkit as tk

        from ckanext.datagovernance.dcat import validation
        from ckanext.datagovernance.quality import score

        dcat_bench.setup_catalog(args.n, reuse=args.reuse, gate_sample=0)
        pkgs = [tk.get_action("package_show")({"ignore_auth": True}, {"id": dcat_bench.payload(i)["name"]})
                for i in range(args.n)]
        t0 = time.perf_counter()
        score.compute(pkgs[0])
        cold = (time.perf_counter() - t0) * 1000

        def run(as_before: bool) -> tuple[list[float], list[tuple]]:
            times, results = [], []
            for pkg in pkgs:
                t0 = time.perf_counter()
                if as_before:  # what each call paid until now
                    score._PROFILE_CLASSES.clear()
                    validation._parsed.shapes = None
                result = score.compute(pkg)
                times.append((time.perf_counter() - t0) * 1000)
                results.append((result["score"], result["shacl_conforms"], result["dimensions"]))
            return times, results

        before, r_before = run(True)
        now, r_now = run(False)
    assert r_before == r_now, "the caches changed a result"
    load = f"{load_average():.1f}"
    lines = [f"Quality score per dataset, {args.n} feed datasets (load average {load})", "",
             "| what | median ms | p95 ms |", "|---|---|---|",
             f"| first call in the process (cold) | {cold:.0f} | |"]
    for name, times in (("as before (lookups and shapes per call)", before), ("now", now)):
        lines.append(f"| {name} | {statistics.median(times):.0f} | {p95(times):.0f} |")
    lines.append(f"\nscores identical for all {args.n} datasets: {r_before == r_now}")
    text = "\n".join(lines)
    print(text)
    write_result(f"score-{args.n}.md", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
