"""`ckan datagovernance role grant|revoke|list|history|orphaned` and `user block|unblock`."""
from __future__ import annotations

import sys
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
import click

from .definitions import ROLES


def _context(actor: str | None) -> dict[str, Any]:
    # The CLI is run by an operator: act as the named user (so the grant rules
    # apply) or, without --as, as the site user with sysadmin rights.
    if actor:
        if model.User.get(actor) is None:
            raise click.BadParameter(f"unknown user {actor!r}", param_hint="--as")
        return {"user": actor}
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"]}


def _fail(error: Exception) -> None:
    if isinstance(error, tk.ValidationError):
        for field, messages in (error.error_dict or {}).items():
            for message in messages if isinstance(messages, list) else [messages]:
                click.secho(f"Error: {field}: {message}", fg="red", err=True)
    else:
        click.secho(f"Error: {error}", fg="red", err=True)
    sys.exit(2 if isinstance(error, tk.NotAuthorized) else 1)


_scope_options = [
    click.option("--domain", help="domain name or id (role steward)"),
    click.option("--dataset", help="dataset name or id (role owner)"),
    click.option("--deputy", is_flag=True, help="as deputy (steward, owner)"),
    click.option("--as", "actor", help="act as this user (default: the site user)"),
]


def _with_scope(f: Any) -> Any:
    for option in reversed(_scope_options):
        f = option(f)
    return f


@click.group(name="role", short_help="Grant, revoke and list governance roles.")
def role() -> None:
    """Governance roles: {}.""".format(", ".join(ROLES))


@role.command("grant")
@click.argument("user")
@click.argument("role_name", metavar="ROLE", type=click.Choice(sorted(ROLES)))
@_with_scope
@click.option("--contact", help="contact details for the role directory")
@click.option("--reason", help="why (recorded in the history)")
def grant(user: str, role_name: str, domain: str | None, dataset: str | None, deputy: bool,
          actor: str | None, contact: str | None, reason: str | None) -> None:
    """Grant ROLE to USER."""
    try:
        result = tk.get_action("datagovernance_role_grant")(_context(actor), {
            "user": user, "role": role_name, "domain": domain, "dataset": dataset,
            "deputy": deputy, "contact": contact, "reason": reason,
        })
    except (tk.ValidationError, tk.NotAuthorized, tk.ObjectNotFound) as e:
        _fail(e)
        return
    click.secho(f"Granted {result['role']} to {result['user_name']}"
                + (f" ({result['scope_type']} {result['scope_name']})" if result["scope_name"] else ""), fg="green")


@role.command("revoke")
@click.argument("user")
@click.argument("role_name", metavar="ROLE", type=click.Choice(sorted(ROLES)))
@_with_scope
@click.option("--reason", help="why (recorded in the history)")
def revoke(user: str, role_name: str, domain: str | None, dataset: str | None, deputy: bool,
           actor: str | None, reason: str | None) -> None:
    """Revoke ROLE from USER."""
    try:
        result = tk.get_action("datagovernance_role_revoke")(_context(actor), {
            "user": user, "role": role_name, "domain": domain, "dataset": dataset,
            "deputy": deputy, "reason": reason,
        })
    except (tk.ValidationError, tk.NotAuthorized, tk.ObjectNotFound) as e:
        _fail(e)
        return
    click.secho(f"Revoked {result['role']} from {result['user_name']}", fg="green")


@role.command("list")
@click.option("--user", help="user name or id")
@click.option("--role", "role_name", type=click.Choice(sorted(ROLES)))
@click.option("--domain", help="domain name or id")
@click.option("--dataset", help="dataset name or id")
def list_(user: str | None, role_name: str | None, domain: str | None, dataset: str | None) -> None:
    """List role assignments (tab-separated: user, role, scope, deputy)."""
    try:
        rows = tk.get_action("datagovernance_role_list")(_context(None), {
            "user": user, "role": role_name, "domain": domain, "dataset": dataset,
        })
    except (tk.ValidationError, tk.NotAuthorized) as e:
        _fail(e)
        return
    for r in rows:
        scope = f"{r['scope_type']}:{r['scope_name']}" if r["scope_name"] else r["scope_type"]
        click.echo("\t".join([r["user_name"] or r["user_id"], r["role"], scope, "deputy" if r["deputy"] else ""]).rstrip())
    click.echo(f"{len(rows)} role assignment(s)", err=True)


@role.command("history")
@click.option("--user", help="user name or id")
@click.option("--limit", type=int, default=50, show_default=True)
def history(user: str | None, limit: int) -> None:
    """Show who granted/revoked what, when and why (newest first)."""
    rows = tk.get_action("datagovernance_role_history")(_context(None), {"user": user, "limit": limit})
    for r in rows:
        click.echo("\t".join([r["created"], r["action"], r["user_name"] or "", r["role"],
                              r["scope_id"] or "", r["actor_name"] or "", r["reason"] or ""]))


@role.command("orphaned")
def orphaned() -> None:
    """Datasets without owner and domains without steward; exit 1 if any."""
    result = tk.get_action("datagovernance_role_orphaned")(_context(None), {})
    for d in result["datasets"]:
        click.echo(f"dataset\t{d['name']}\t{d['title']}")
    for d in result["domains"]:
        click.echo(f"domain\t{d['name']}\t{d['title']}")
    sys.exit(1 if result["datasets"] or result["domains"] else 0)


@click.group(name="user", short_help="Block and unblock user accounts (duties are handed over).")
def user() -> None:
    """User accounts: a blocked user cannot log in; their duties fall to the deputy or become orphaned."""


@user.command("block")
@click.argument("name")
@click.option("--reason", required=True, help="why (recorded in the role history)")
@click.option("--as", "actor", help="act as this user (default: the site user)")
def block(name: str, reason: str, actor: str | None) -> None:
    """Block user NAME and hand over their owner/steward duties."""
    try:
        result = tk.get_action("datagovernance_user_block")(_context(actor), {"id": name, "reason": reason})
    except (tk.ValidationError, tk.NotAuthorized) as e:
        _fail(e)
        return
    for d in result["duties"]:
        to = f"deputy {model.User.get(d['successor']).name}" if d["successor"] else "nobody: orphaned"
        click.echo(f"{d['role']}\t{d['scope_id']}\t-> {to}")
    click.secho(f"Blocked {result['user']} ({len(result['duties'])} duties handed over)", fg="green")


@user.command("unblock")
@click.argument("name")
@click.option("--as", "actor", help="act as this user (default: the site user)")
def unblock(name: str, actor: str | None) -> None:
    """Let user NAME log in again (handed-over duties stay with their successors)."""
    try:
        result = tk.get_action("datagovernance_user_unblock")(_context(actor), {"id": name})
    except (tk.ValidationError, tk.NotAuthorized) as e:
        _fail(e)
        return
    click.secho(f"Unblocked {result['user']}", fg="green")
