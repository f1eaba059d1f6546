"""Validators of the suite's dataset fields that need the acting user."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan.types import Context

from .. import prefetch
from ..translate import _
from . import policy, service


def access_class_guard(key: Any, data: dict[Any, Any], errors: dict[Any, Any], context: Context) -> None:
    """Refuse an access-class change by anyone but steward/office/officer."""
    if context.get("ignore_auth"):
        return
    new = data.get(key)
    # by id, else by name: Package.get(name) would first look the name up as
    # an id (one more statement for every new dataset, e.g. per import row)
    ref, name = data.get(("id",)), data.get(("name",))
    if ref:
        pkg = model.Package.get(ref)
    else:  # the inventory import looks its new rows' names up at once (prefetch.py)
        pkg = prefetch.known("package_by_name", name, lambda: model.Package.by_name(name)) if name else None
    if pkg is None:
        return  # a new dataset gets its first classification from its author
    old = pkg.extras.get("access_class")
    if new in (None, tk.missing) or new == old:
        return
    if not policy.may_classify(service.context_user(context), pkg):
        errors[key].append(
            _("Only a steward of the dataset's domain, the data office or the governance officer can change the access class.")
        )


def prefetch_packages_by_name(names: Iterable[str]) -> None:
    """access_class_guard's look-up of many names for a prefetch.scope():
    one query (Package.by_name for each)."""
    names = {n for n in names if n}
    if not prefetch.active() or not names:
        return
    found: dict[str, model.Package | None] = dict.fromkeys(names)
    for pkg in model.Session.scalars(sa.select(model.Package).where(model.Package.name.in_(names))):
        found[pkg.name] = pkg
    prefetch.put("package_by_name", found)


def owner_org(key: Any, data: dict[Any, Any], errors: dict[Any, Any], context: Context) -> Any:
    """CKAN's owner_org_validator, except that whoever roles/policy lets
    create anywhere (the data office) may name any organisation."""
    from ckan.logic.validators import owner_org_validator

    value = data.get(key)
    user = service.context_user(context)
    if value not in (None, "", tk.missing) and policy.may_create_anywhere(user):
        group = model.Group.get(value)
        if group is not None and group.is_organization and group.state == "active":
            data[key] = group.id
            return None
    return owner_org_validator(key, data, errors, context)


def get_validators() -> dict[str, Any]:
    return {"datagovernance_access_class_guard": access_class_guard, "datagovernance_owner_org": owner_org}
