"""Auth functions of the workflow actions. Each resolves the dataset the way
a reader sees it (a hidden one is ``ObjectNotFound``, exactly like a missing
one) and asks ``policy``; the actions call them through ``tk.check_access``."""
from __future__ import annotations

from ckan.types import AuthResult, Context, DataDict

from ..roles import guard
from ..roles import service as roles
from . import policy, service


def _result(refusal: str | None) -> AuthResult:
    return {"success": True} if refusal is None else {"success": False, "msg": refusal}


def transition(context: Context, data_dict: DataDict) -> AuthResult:
    pkg = guard.readable_dataset(context, data_dict.get("id"))
    user = roles.context_user(context)
    current = service.current_state(pkg)
    return _result(policy.transition_refusal(user, pkg, current, str(data_dict.get("to") or "")))


def read_workflow(context: Context, data_dict: DataDict) -> AuthResult:
    """history and options: whoever may read the dataset."""
    guard.readable_dataset(context, data_dict.get("id"))
    return {"success": True}


def signoff(context: Context, data_dict: DataDict) -> AuthResult:
    guard.readable_dataset(context, data_dict.get("id"))
    return _result(policy.signoff_refusal(roles.context_user(context)))


def task_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _result(policy.task_list_refusal(roles.context_user(context)))


def get_auth_functions() -> dict[str, object]:
    return {
        "datagovernance_workflow_transition": transition,
        "datagovernance_workflow_history": read_workflow,
        "datagovernance_workflow_options": read_workflow,
        "datagovernance_signoff": signoff,
        "datagovernance_task_list": task_list,
    }
