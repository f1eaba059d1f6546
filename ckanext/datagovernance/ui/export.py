"""The one way the suite writes CSV files: what German Excel opens with a
double click (UTF-8 with BOM, ``;`` between fields, CRLF, ``Ja``/``Nein``,
``29.11.2026 14:35`` in Europe/Berlin, ``0,75``). Callers pass headers and
rows already in words (labels and names, not codes or IRIs); this module
only formats the cell values and the bytes."""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

import ckan.plugins.toolkit as tk
from flask import Response

from ..translate import _
from .text import _lang

DELIMITER = ";"


def _zone() -> ZoneInfo:
    name = str(tk.config.get("ckan.display_timezone") or "Europe/Berlin")
    try:
        return ZoneInfo("Europe/Berlin" if name in ("server", "") else name)
    except Exception:
        return ZoneInfo("Europe/Berlin")


def cell(value: Any) -> str:
    """One value as German Excel reads it (English formats when the UI is
    English, but always with the separator German Excel expects)."""
    german = _lang() == "de"
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # CKAN stores naive UTC
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(_zone()).strftime("%d.%m.%Y %H:%M" if german else "%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y" if german else "%Y-%m-%d")
    if isinstance(value, float):
        text = f"{value:.4f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if german else text
    if isinstance(value, (list, tuple, set)):
        return ", ".join(cell(v) for v in value)
    return str(value)


def csv_bytes(headers: list[str], rows: Iterable[Iterable[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def csv_response(filename: str, headers: list[str], rows: Iterable[Iterable[Any]]) -> Response:
    """A download of the table; `filename` without extension."""
    return Response(csv_bytes(headers, rows), mimetype="text/csv",
                    headers={"Content-Type": "text/csv; charset=utf-8",
                             "Content-Disposition": f"attachment; filename={filename}.csv"})
