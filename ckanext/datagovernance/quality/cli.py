"""``ckan datagovernance quality ...``"""
from __future__ import annotations

import click


@click.group(name="quality", short_help="Metadata quality score and link check")
def quality() -> None:
    """Metadata quality (data.europa.eu MQA)."""


@quality.command("check-links")
@click.option("--dataset", "datasets", multiple=True, help="Only these datasets (id or name).")
@click.option("--enqueue", is_flag=True, help="Queue a background job instead of running now.")
def check_links(datasets: tuple[str, ...], enqueue: bool) -> None:
    """Check access/download URLs (the due datasets, or the named ones) and re-score."""
    from ckan import model

    from . import jobs

    ids = []
    for ref in datasets:
        pkg = model.Package.get(ref)
        if pkg is None:
            raise click.BadParameter(f"unknown dataset / unbekannter Datensatz: {ref}", param_hint="--dataset")
        ids.append(pkg.id)
    if enqueue:
        job = jobs.enqueue_link_check(ids or None)
        click.echo(f"queued: {job.id}")
        return
    counts = jobs.check_links(ids or jobs.due_datasets())
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))


@quality.command("score")
@click.option("--dataset", "datasets", multiple=True, help="Only these datasets (id or name).")
def score(datasets: tuple[str, ...]) -> None:
    """Compute and store the score (all active datasets by default)."""
    from . import jobs

    if datasets:
        for ref in datasets:
            click.echo(f"{ref}: {jobs.score_dataset(ref)}")
    else:
        click.echo(f"datasets: {jobs.score_all()}")
