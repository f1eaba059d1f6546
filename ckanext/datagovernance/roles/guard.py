"""Refuse hidden datasets exactly like missing ones.

A caller who may not read a dataset must not learn that it exists: the
answer is the same ``ObjectNotFound`` with the same text as for a name that
was never used, never a 403 carrying the dataset's id. Every action and view
that takes a dataset reference resolves it here.
"""
from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context

from .. import request_memo
from ..translate import _
from . import policy, service


def not_found() -> tk.ObjectNotFound:
    return tk.ObjectNotFound(_("Dataset not found"))


def readable_dataset(context: Context, ref: str | None) -> model.Package:
    """The active or draft dataset `ref` (name or id) if the context's user
    may read it; otherwise ``ObjectNotFound``, the same as for an unknown name.
    `ignore_auth` contexts (jobs, CLI as site user) read everything."""
    if context.get("ignore_auth"):
        pkg = service.get_dataset(str(ref or "")) if ref else None
    else:
        pkg = readable_by(service.context_user(context), ref)
    if pkg is None:
        raise not_found()
    return pkg


def readable_by(user: model.User | None, ref: str | None) -> model.Package | None:
    """The active or draft dataset `ref` (name or id) if `user` may read it,
    else None. Decided once per request and user: the dataset page's panels
    and the actions they share ask the same question (a write in the request
    drops the memo, so a changed dataset is decided anew)."""
    if not ref:
        return None

    def decide() -> model.Package | None:
        pkg = service.get_dataset(str(ref))
        return pkg if pkg is not None and policy.may_read(user, pkg) else None

    return request_memo.remembered("readable_dataset", f"{user.id if user else ''} {ref}", decide)


def role_request(context: Context, role: str, user: str | None, domain: str | None,
                 dataset: str | None, deputy: bool) -> tuple[model.User, str, str]:
    """service.validate_request, where a dataset the caller may not read is
    the same "unknown dataset" as a name never used (raises RoleError)."""
    target, scope_type, scope_id = service.validate_request(role, user, domain, dataset, deputy)
    if scope_type == service.DATASET and not context.get("ignore_auth"):
        if not policy.may_read(service.context_user(context), model.Package.get(scope_id)):
            raise service.RoleError("dataset", _("Unknown dataset: {0}").format(dataset or ""))
    return target, scope_type, scope_id
