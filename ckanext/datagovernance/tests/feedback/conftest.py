"""Feedback tests: the roles city (every governance role, one dataset per
access class), a job runner and helpers."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
import pytest
from ckan.tests.helpers import call_action

from ..roles.conftest import build_city


@pytest.fixture
def city(clean_db, clean_redis):
    return build_city()


@pytest.fixture
def run_jobs(with_test_worker):
    """Run the queued background jobs now, as `ckan jobs worker` would."""
    from ckan.lib import jobs

    def run() -> None:
        jobs.Worker([jobs.DEFAULT_QUEUE_NAME]).work(burst=True)
    return run


def act(user: str | None, action: str, **data):
    """Call an action as `user` (None: anonymous) with auth checks on."""
    return call_action(action, {"user": user or "", "ignore_auth": False}, **data)


def can_read(user: str, ds: dict) -> dict[str, bool]:
    """What `user` gets of `ds` through search, show and the resource."""
    found = act(user, "package_search", q=f'name:"{ds["name"]}"', include_private=True)["count"] == 1
    out = {"search": found}
    for name, action, ref in (("show", "package_show", ds["id"]), ("file", "resource_show", ds["resources"][0]["id"])):
        try:
            act(user, action, id=ref)
            out[name] = True
        except (tk.NotAuthorized, tk.ObjectNotFound):
            out[name] = False
    return out
