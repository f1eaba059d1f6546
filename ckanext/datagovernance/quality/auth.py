"""Auth functions of the quality actions; the rules are in roles.policy."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ..roles import policy
from ..roles import service as roles
from ..translate import _
from . import policy as qpolicy


@tk.auth_allow_anonymous_access
def quality_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    pkg = roles.get_dataset(data_dict.get("id"))
    allowed = context.get("ignore_auth") or policy.may_read(roles.context_user(context), pkg)
    return {"success": bool(allowed), "msg": _("Dataset not found")}


def link_check(context: Context, data_dict: DataDict) -> dict[str, Any]:
    user = roles.context_user(context)
    if data_dict.get("id"):
        pkg = roles.get_dataset(data_dict["id"])
        allowed = pkg is not None and qpolicy.may_see_fixes(user, pkg)
        return {"success": allowed, "msg": _("Only the dataset's maintainers can start a link check.")}
    return {"success": policy.is_governance_admin(user),
            "msg": _("Only the data office can start the link check of the whole catalog.")}


def get_auth_functions() -> dict[str, Any]:
    return {"datagovernance_quality_show": quality_show,
            "datagovernance_quality_link_check": link_check}
