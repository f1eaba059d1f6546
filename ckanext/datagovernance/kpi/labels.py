"""Translatable names of the KPIs and their classes (German in the .po)."""
from __future__ import annotations

from ..translate import _


def kpi_label(key: str) -> str:
    return {
        "inventory": _("Datasets in the inventory"),
        "with_owner": _("Datasets with a data owner"),
        "share_owner": _("Share with a data owner"),
        "with_steward": _("Datasets with a data steward"),
        "share_steward": _("Share with a data steward"),
        "could_be_open": _("Datasets that could be open"),
        "published_open": _("Published as open data"),
        "share_published_open": _("Share published of those that could be open"),
        "personal": _("Datasets with personal data"),
        "share_personal": _("Share with personal data"),
        "hvd_flagged": _("High-value datasets"),
        "hvd_compliant": _("High-value datasets meeting the rules"),
        "share_hvd_compliant": _("HVD compliance"),
        "quality_scored": _("Datasets with a quality score"),
        "quality_avg": _("Average metadata quality (points of 405)"),
        "lead_time_median_days": _("Lead time draft to published (median, days)"),
        "overdue_reviews": _("Overdue re-evaluations"),
        "orphaned": _("Datasets without a data owner"),
        "feedback_open": _("Open feedback items"),
        "feedback_hours_to_first_answer": _("Hours to the first answer (mean)"),
        "harvest_errors": _("Harvest errors (last 7 days)"),
    }.get(key, key)


def class_label(kind: str, value: str) -> str:
    vocab = {"access_class": "access-class", "personal_data": "personal-data",
             "workflow_state": "workflow-state"}.get(kind)
    if vocab:
        from ..catalog.helpers import datagovernance_vocab_label

        return datagovernance_vocab_label(vocab, value)
    from ..quality.indicators import band_label

    return band_label(value)


def group_label(kind: str) -> str:
    return {"access_class": _("Access class"), "personal_data": _("Personal data"),
            "workflow_state": _("Workflow state"), "quality_band": _("Metadata quality")}.get(kind, kind)


def status_label(status: str) -> str:
    return {"achieved": _("achieved"), "on_track": _("on track"), "at_risk": _("at risk"),
            "missed": _("missed"), "not_started": _("not started")}.get(status, status)
