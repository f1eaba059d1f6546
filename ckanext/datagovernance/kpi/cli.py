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
