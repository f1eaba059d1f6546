"""``ckan datagovernance kpi ...``"""
from __future__ import annotations

import datetime as dt

import click


@click.group(name="kpi", short_help="KPI snapshots")
def kpi() -> None:
    """Governance KPIs."""


@kpi.command("snapshot")
@click.option("--day", help="ISO date (default: today); a second run replaces that day's snapshot.")
def snapshot(day: str | None) -> None:
    """Take the daily KPI snapshot (catalog, organisations, domains)."""
    from . import jobs

    when = dt.date.fromisoformat(day) if day else None
    click.echo(f"scopes: {jobs.take_snapshot(when)}")


@kpi.command("rebuild")
def rebuild() -> None:
    """Recompute the dashboard's rollup from the catalog (after a bulk load
    that bypassed the triggers; normally never needed: they keep it exact)."""
    import ckan.model as model

    from . import compute

    cells = compute.rebuild()
    model.Session.commit()
    click.echo(f"cells: {cells}")
