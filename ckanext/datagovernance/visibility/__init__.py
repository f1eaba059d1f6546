"""Visibility of what CKAN core shows besides datasets: activity streams,
tags, group/organisation members and dataset counts follow the same rule as
search and package_show (``roles/policy.py: may_read`` and the permission
labels built from the same facts).

Facade for the other sub-packages and the core plugin:

- ``follow_dataset(pkg_id)``  a dataset was (re)indexed: its activities take
  its current permission labels (same transaction);
- ``hide_dataset(pkg_id)``    a dataset is deleted or purged: its activities
  are hidden from everybody but sysadmins;
- ``get_actions()``           the chained CKAN actions;
- ``get_blueprints()``        404/403 pages for hidden objects views let escape.
"""
from __future__ import annotations

from ..roles.actions import on_dataset_purge
from .actions import get_actions
from .activity import follow_dataset, hide_dataset
from .views import get_blueprints

on_dataset_purge(hide_dataset)

__all__ = ["follow_dataset", "get_actions", "get_blueprints", "hide_dataset"]
