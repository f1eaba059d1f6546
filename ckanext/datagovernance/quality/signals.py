"""Re-score a dataset after it changed: subscribers of CKAN's
``action_succeeded`` enqueue the job once the action has committed. The
score needs no HTTP requests; links are only checked by the periodic job."""
from __future__ import annotations

import logging
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import SignalMapping

from . import jobs

log = logging.getLogger(__name__)

# package_patch and the resource actions call package_update, which fires too
DATASET_ACTIONS = ("package_create", "package_update", "datagovernance_workflow_transition")


def _dataset_changed(sender: str, **kwargs: Any) -> None:
    context = kwargs.get("context") or {}
    if context.get("defer_commit") or not tk.config.get("ckanext.datagovernance.quality.score_on_change"):
        return  # the outer action commits and fires its own signal
    result = kwargs.get("result")
    result = result if isinstance(result, dict) else {}
    data_dict = kwargs.get("data_dict") or {}
    if sender == "datagovernance_workflow_transition":
        package_id = result.get("package_id")
    else:
        package_id = result.get("id") or data_dict.get("id")
    if package_id:
        datasets_changed([str(package_id)])


def datasets_changed(package_ids: list[str]) -> None:
    """Queue changed datasets for their score (one Redis call): the signal
    above for one, and a writer that changes many in one transaction
    without the dataset actions' signal (the inventory import)."""
    if not tk.config.get("ckanext.datagovernance.quality.score_on_change"):
        return
    try:
        jobs.enqueue_scores(package_ids)
    except Exception as e:  # noqa: BLE001 - no queue (Redis down) never fails the edit
        log.warning("could not queue the quality score of %s: %s", ", ".join(package_ids[:5]), e)


def get_subscriptions() -> SignalMapping:
    return {tk.signals.action_succeeded: [
        {"sender": name, "receiver": _dataset_changed} for name in DATASET_ACTIONS
    ]}
