"""``ckan datagovernance ...``: the suite's command group.

The group is registered once by the core plugin (IClick). Later sub-packages
add their sub-commands with ``datagovernance.add_command(...)`` (or by
listing them in :data:`SUBCOMMANDS`) instead of registering groups of their own.
"""
from __future__ import annotations

import ckan.plugins.toolkit as tk
import click


@click.group(name="datagovernance", short_help="Data governance: demo data and tools")
def datagovernance() -> None:
    """Data governance tools of ckanext-datagovernance."""


@datagovernance.command()
@click.option("--refresh", is_flag=True,
              help="Also update existing demo organisations, domains and datasets.")
def demo(refresh: bool) -> None:
    """Seed the demo municipality Offenbach am Main (idempotent)."""
    from . import demo as demo_data

    password = tk.config["ckanext.datagovernance.demo.password"]
    report = demo_data.seed(password, refresh=refresh, echo=click.echo)
    for kind in ("users", "organizations", "domains", "datasets"):
        click.echo(
            f"{kind}: {report.created.get(kind, 0)} created, "
            f"{report.existing.get(kind, 0)} already present"
        )


def get_commands() -> list[click.Command]:
    return [datagovernance]
