"""CSV and XLSX exports of the dashboard: the same figures as the action."""
from __future__ import annotations

import io
from typing import Any

from ..translate import _
from . import compute, labels


def rows(result: dict[str, Any]) -> list[list[Any]]:
    """Key, label, value: the numeric KPIs, then the class counts."""
    fig = result["figures"]
    out: list[list[Any]] = [[k, labels.kpi_label(k), fig.get(k)] for k in compute.NUMERIC if k in fig]
    for kind in ("access_class", "personal_data", "workflow_state", "quality_band"):
        for value, n in fig.get(f"by_{kind}", {}).items():
            out.append([f"{kind}:{value}", f"{labels.group_label(kind)}: {labels.class_label(kind, value)}", n])
    return out


def csv_table(result: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Indicator and value (labels only: the keys stay in the XLSX and API)."""
    return [_("Indicator"), _("Value")], [[label, value] for _key, label, value in rows(result)]


def to_xlsx(result: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("Indicators")[:31]
    sheet.append([_("Key"), _("Indicator"), _("Value")])
    for row in rows(result):
        sheet.append(row)
    if result.get("organizations"):
        orgs = book.create_sheet(_("Organizations")[:31])
        orgs.append([_("Organization"), _("Datasets"), _("Share with a data owner"),
                     _("Share published of those that could be open"), _("Average metadata quality")])
        for o in result["organizations"]:
            orgs.append([o["title"], o["inventory"], o["share_owner"], o["share_published_open"], o["quality_avg"]])
    if result.get("trend"):
        trend = book.create_sheet(_("Trend")[:31])
        keys = [k for k in result["trend"][0] if k != "day"]
        trend.append([_("Date")] + [labels.kpi_label(k) for k in keys])
        for point in result["trend"]:
            trend.append([point["day"]] + [point.get(k) for k in keys])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
