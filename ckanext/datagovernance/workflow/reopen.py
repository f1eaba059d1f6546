"""A governance-relevant edit sends a published dataset back to review.

Changing the access class, the personal-data flag, the licence or the HVD
category of a published dataset saves it as ``in_review`` in the same
package_update: the validator below sets the state before CKAN saves,
indexes and commits, so a dataset whose licence is now closed is never
public, not even for a moment. The ``after_dataset_update`` hook records the
event (same transaction) and queues the stewards' mail for after the commit.
Other edits (a typo, a resource) keep the dataset published.
"""
from __future__ import annotations

import json
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context

from ..roles import service as roles
from ..translate import _
from . import jobs, service, states

GOVERNANCE_FIELDS = ("access_class", "personal_data", "license_id", "hvd_category")
# handed from the validator to the hook in the validated dict (CKAN validates
# with a copy of the context); never stored: it is no column and no extra
REOPENED = "datagovernance_workflow_reopened"


def _normal(value: Any) -> Any:
    """Compare stored and submitted values alike ("" = None, JSON lists as sets)."""
    if value in (None, "", [], tk.missing):
        return None
    if isinstance(value, str) and value.startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, (list, tuple)):
        return tuple(sorted(str(v) for v in value)) or None
    return str(value)


def _stored(pkg: model.Package, field: str) -> Any:
    return pkg.license_id if field == "license_id" else pkg.extras.get(field)


def workflow_reopen(key: Any, data: dict[Any, Any], errors: dict[Any, Any], context: Context) -> None:
    """Validator of `workflow_state`, after the catalog's read-only check.

    CKAN validates the top-level fields in alphabetical order, so the
    governance fields (access_class, hvd_category, license_id, personal_data)
    are validated by now; `workflow_state` still has its own value, which is
    stored after this."""
    pkg = context.get("package")
    if context.get(service.FLAG) or pkg is None or data.get(("id",)) not in (pkg.id, tk.missing, None):
        return
    if service.current_state(pkg) != states.PUBLISHED or any(errors.get((f,)) for f in GOVERNANCE_FIELDS):
        return
    changed = [f for f in GOVERNANCE_FIELDS if _normal(data.get((f,))) != _normal(_stored(pkg, f))]
    if changed:
        data[key] = states.IN_REVIEW
        data[(REOPENED,)] = ",".join(changed)


def record(context: Context, pkg_dict: dict[str, Any]) -> None:
    """after_dataset_update: the reopen's event and mail (same transaction)."""
    changed = pkg_dict.pop(REOPENED, None)
    if not changed:
        return
    pkg = model.Package.get(pkg_dict["id"])
    if pkg is None:
        return
    comment = _("Governance-relevant change ({0}): back to review").format(", ".join(changed.split(",")))
    event = service.add_event(pkg.id, states.PUBLISHED, states.IN_REVIEW, roles.context_user(context), comment)
    jobs.notify_after_commit(event.id, service.recipients(pkg, states.PUBLISHED, states.IN_REVIEW))


def get_validators() -> dict[str, Any]:
    return {"datagovernance_workflow_reopen": workflow_reopen}
