"""Chained actions of datagovernance_harvest.

- ``package_create`` / ``package_update`` of a harvest source (the API's
  ``harvest_source_create/update`` and the source forms both end there): the config's
  governance defaults are validated (field names and allowed values in the
  error) and only the office may set them.
- ``package_create`` / ``package_update`` of a dataset that ckanext-harvest's
  CKAN harvester is importing: the source's governance defaults on create,
  local fields kept on update (``service.py``, as for the DCAT harvester).
- ``package_delete``: when a harvester deletes a dataset because its source
  dropped it, the dataset is withdrawn instead and its owner is told.
"""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ..roles import policy as roles_policy
from ..roles import service as roles
from ..translate import _
from . import schema, service


def _check_defaults(context: Context, data_dict: DataDict) -> None:
    config = (data_dict or {}).get("config")
    if not isinstance(config, str) or not config.strip():
        return
    defaults, errors = schema.validate(config)
    if errors:
        raise tk.ValidationError({"config": errors})
    if defaults and not context.get("ignore_auth") and not roles_policy.is_governance_admin(
            roles.context_user(context)):
        raise tk.NotAuthorized(_("Only the data office may set governance defaults of a "
                                 "harvest source."))


def _is_source(data_dict: DataDict) -> bool:
    """A harvest source (ckanext-harvest stores sources as datasets of type
    harvest; its forms call package_create/update directly)."""
    if (data_dict or {}).get("type") == "harvest":
        return True
    pkg = roles.get_dataset((data_dict or {}).get("id"))
    return pkg is not None and pkg.type == "harvest"


@tk.chained_action
def package_create(next_action: Any, context: Context, data_dict: DataDict) -> Any:
    if _is_source(data_dict):
        _check_defaults(context, data_dict)
        return next_action(context, data_dict)
    harvest_object = service.ckan_import_object((data_dict or {}).get("id"))
    if harvest_object is None:
        return next_action(context, data_dict)
    # ckanext-harvest's CKAN harvester: the same rules as the DCAT hooks
    todo = service.apply_defaults(harvest_object, data_dict)
    result = next_action(context, data_dict)
    created = result if isinstance(result, dict) else {"id": data_dict["id"]}
    service.set_initial_state(created["id"], todo.get("workflow_state"), _actor(context))
    return result


@tk.chained_action
def package_update(next_action: Any, context: Context, data_dict: DataDict) -> Any:
    if _is_source(data_dict):
        _check_defaults(context, data_dict)
    elif service.ckan_import_object((data_dict or {}).get("id")) is not None:
        service.keep_local(data_dict)
    return next_action(context, data_dict)


def _actor(context: Context) -> str:
    user = roles.context_user(context)
    return user.name if user else tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]


@tk.chained_action
def package_delete(next_action: Any, context: Context, data_dict: DataDict) -> Any:
    """A harvested dataset gone at its source is withdrawn, not deleted."""
    pkg = roles.get_dataset((data_dict or {}).get("id"))
    if pkg is not None and service.harvester_deletes(pkg.id):
        tk.check_access("package_delete", context, data_dict)
        user = roles.context_user(context)
        actor = user.name if user else tk.get_action("get_site_user")(
            {"ignore_auth": True}, {})["name"]
        service.withdraw_gone(pkg.id, actor)
        return None
    return next_action(context, data_dict)


def get_actions() -> dict[str, Any]:
    return {
        "package_create": package_create,
        "package_update": package_update,
        "package_delete": package_delete,
    }
