"""``ckan datagovernance feedback ...``: list items, expire grants (cron)."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
import click


@click.group(short_help="Feedback, data and access requests")
def feedback() -> None:
    """Feedback, data requests and access requests (R9)."""


def _site_context() -> dict[str, object]:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"], "ignore_auth": True}


@feedback.command("list")
@click.option("--status", default=None, help="new, in_progress, answered, closed, declined or open")
@click.option("--kind", default=None, help="error, wish, access, data_request")
@click.option("--dataset", default=None, help="dataset name or id")
@click.option("--limit", default=100, show_default=True)
def list_items(status: str | None, kind: str | None, dataset: str | None, limit: int) -> None:
    """Every item (newest first) with status, kind, assignee and subject."""
    try:
        result = tk.get_action("datagovernance_feedback_list")(_site_context(), {
            "scope": "all", "status": status, "kind": kind, "dataset": dataset, "limit": limit})
    except tk.ValidationError as e:
        raise click.UsageError("; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in e.error_dict.items())) from e
    except tk.ObjectNotFound as e:
        raise click.UsageError(str(e)) from e
    counts = ", ".join(f"{k} {v}" for k, v in result["counts"].items())
    click.echo(f"{result['count']} items ({counts})")
    for r in result["results"]:
        about = r["package_name"] or (r["domain_title"] or "-")
        click.echo(f"{r['created'][:16]}  {r['status']:<11}  {r['kind']:<12}  {about:<30}  "
                   f"{r.get('assignee_name') or '-':<20}  {r['subject']}  [{r['id']}]")


@feedback.command("expire-grants")
def expire_grants() -> None:
    """End access grants whose period is over (run daily from cron)."""
    from . import jobs

    click.echo(f"{jobs.expire_grants()} grants expired")
