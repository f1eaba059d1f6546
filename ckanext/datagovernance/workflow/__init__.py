"""The approval workflow: draft -> in_review -> approved -> published.

Public facade for the core plugin and the other sub-packages (imports are
lazy: ``roles.policy`` imports ``workflow.states``, and this package imports
``roles``).

- ``states``  the pure state table (which transitions exist, who makes them)
- ``policy``  who may make this transition / approve / publish / sign off
- ``gates``   is the dataset ready to publish (``gates.register`` for plugins)
- ``schema``, ``auth``, ``actions``  the API: validate -> check_access -> act
- ``service``, ``model``  the store; ``jobs`` mail after the commit
- ``reopen``  governance-relevant edits send a published dataset back to review
"""
from __future__ import annotations

from typing import Any


def get_actions() -> dict[str, Any]:
    from . import actions

    return actions.get_actions()


def get_auth_functions() -> dict[str, Any]:
    from . import auth

    return auth.get_auth_functions()


def get_validators() -> dict[str, Any]:
    from . import reopen

    return reopen.get_validators()


def after_dataset_update(context: Any, pkg_dict: dict[str, Any]) -> None:
    from . import reopen

    reopen.record(context, pkg_dict)
