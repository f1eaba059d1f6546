"""``ckan datagovernance inventory import|export|template``.

Exit codes of ``import``: 0 everything done (or would be), 1 rows with errors
(nothing written, or with ``--partial`` the valid rows written), 2 the file
itself is unusable (format, columns) or the user is unknown."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
import click

from . import files, service


def _context(as_user: str | None) -> dict[str, Any]:
    if as_user:
        user = model.User.get(as_user)
        if user is None or user.state != "active":
            click.echo(f"Unbekannte/r Benutzer/in / unknown user: {as_user}", err=True)
            sys.exit(2)
    else:
        user = model.User.get(tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"])
    return {"user": user.name, "auth_user_obj": user}


@click.group(short_help="Data inventory: bulk import and export (XLSX/CSV)")
def inventory() -> None:
    """Allgemeine Dateninventur: import and export the catalog as a spreadsheet."""


@inventory.command(name="import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Write nothing; report per row what would happen.")
@click.option("--partial", is_flag=True, help="Write the valid rows even if other rows fail.")
@click.option("--as", "as_user", metavar="USER", help="Act as this user (default: the site user).")
@click.option("--lang", type=click.Choice(["de", "en"]), default="de", show_default=True,
              help="Language of the report.")
def import_(path: str, dry_run: bool, partial: bool, as_user: str | None, lang: str) -> None:
    """Import an XLSX or CSV inventory FILE (one row per dataset)."""
    context = _context(as_user)
    try:
        headers, rows = files.read_table(Path(path).read_bytes(), path)
    except files.FileError as e:
        click.echo(e.msg.render(lang), err=True)
        sys.exit(2)
    with click.progressbar(length=max(1, len(rows)), label="Inventur", file=sys.stderr) as bar:
        done = [0]

        def progress(n: int, total: int) -> None:
            bar.update(n - done[0])
            done[0] = n

        report = service.run_import(context, headers, rows, dry_run=dry_run, partial=partial, progress=progress)
    for err in report.file_errors:
        click.echo(f"Spalte/column {err['column']}: {err['message_' + lang]}", err=True)
    if report.file_errors:
        sys.exit(2)
    for r in report.rows:
        line = f"Zeile/row {r.row}: {r.action} {r.name}"
        if r.changed:
            line += " (" + ", ".join(r.changed) + ")"
        click.echo(line)
        for err in r.errors:
            click.echo(f"    {err['column']} = \"{err['value']}\": {err['message_' + lang]}")
    counts = report.counts()
    summary = ", ".join(f"{k}: {v}" for k, v in counts.items())
    state = ("Probelauf, nichts geschrieben" if dry_run else
             "geschrieben" if report.written else "nichts geschrieben")
    click.echo(f"{len(report.rows)} Zeilen in {report.seconds:.1f} s – {summary} – {state}")
    sys.exit(0 if report.ok else 1)


@inventory.command()
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--as", "as_user", metavar="USER", help="Export what this user may read (default: the site user).")
def export(path: str, as_user: str | None) -> None:
    """Export the inventory to PATH (.xlsx or .csv)."""
    headers, rows = service.export_table(_context(as_user))
    if path.lower().endswith(".csv"):
        Path(path).write_bytes(files.write_csv(headers, rows))
    else:
        _h, explanations, choices = service.template_parts()
        Path(path).write_bytes(files.write_xlsx(headers, rows, explanations=explanations, choices=choices))
    click.echo(f"{len(rows)} Datensätze → {path}")


@inventory.command()
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def template(path: str) -> None:
    """Write an empty XLSX template (drop-down lists, column explanations)."""
    headers, explanations, choices = service.template_parts()
    Path(path).write_bytes(files.write_xlsx(headers, [], explanations=explanations, choices=choices))
    click.echo(path)
