"""Auth of the KPI and OKR actions; the rules are in roles.policy.

The dashboard's figures are aggregate counts: every logged-in member of
staff sees them (the strategy publishes its indicators to all staff), the
public sees the open-data part (the action narrows it). Only the data
office, the governance officer and sysadmins set OKR targets."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ..roles import policy
from ..roles import service as roles
from ..translate import _


@tk.auth_allow_anonymous_access
def kpi_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    return {"success": True}


def okr_manage(context: Context, data_dict: DataDict) -> dict[str, Any]:
    return {"success": policy.is_governance_admin(roles.context_user(context)),
            "msg": _("Only the data office and the governance officer set targets.")}


def get_auth_functions() -> dict[str, Any]:
    return {"datagovernance_kpi_show": kpi_show,
            "datagovernance_okr_objective_create": okr_manage,
            "datagovernance_okr_objective_delete": okr_manage,
            "datagovernance_kpi_snapshot_create": okr_manage}
