"""`ckan datagovernance workflow transition|history` (bulk use by the office)."""
from __future__ import annotations

import sys

import ckan.model as model
import ckan.plugins.toolkit as tk
import click

from . import states


@click.group(name="workflow", short_help="Move datasets through the approval workflow.")
def workflow() -> None:
    """Approval workflow: draft -> in_review -> approved -> published."""


@workflow.command("transition")
@click.argument("datasets", nargs=-1, required=True)
@click.option("--to", "target", required=True, type=click.Choice(states.STATES))
@click.option("--comment", help="comment / reason (required for reject, withdraw, re-submit)")
@click.option("--as", "actor", required=True, help="the user making the transition (rules apply)")
def transition(datasets: tuple[str, ...], target: str, comment: str | None, actor: str) -> None:
    """Move DATASETS to a state; prints one line per dataset, exit 1 if any failed."""
    if model.User.get(actor) is None:
        raise click.BadParameter(f"unknown user {actor!r}", param_hint="--as")
    failed = 0
    with click.progressbar(datasets, label=f"-> {target}", file=sys.stderr) as bar:
        for ref in bar:
            try:
                tk.get_action("datagovernance_workflow_transition")(
                    {"user": actor}, {"id": ref, "to": target, "comment": comment})
                click.echo(f"ok\t{ref}\t{target}")
            except tk.ValidationError as e:
                failed += 1
                msgs = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in e.error_dict.items())
                click.echo(f"error\t{ref}\t{msgs}")
            except (tk.NotAuthorized, tk.ObjectNotFound) as e:
                failed += 1
                click.echo(f"error\t{ref}\t{e}")
    click.echo(f"{len(datasets) - failed} moved, {failed} failed", err=True)
    sys.exit(1 if failed else 0)


@workflow.command("history")
@click.argument("dataset")
def history(dataset: str) -> None:
    """Show the transitions of DATASET."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    for e in tk.get_action("datagovernance_workflow_history")({"user": site_user["name"]}, {"id": dataset}):
        click.echo("\t".join([e["created"], e["from_state"], e["to_state"], e["actor_name"] or "", e["comment"] or ""]))
