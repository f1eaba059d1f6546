"""The city's catalog as citizens and staff see it: home and about pages,
branding from configuration, domains in navigation and search, German labels
instead of codes. Templates live in ``templates/``, the style in
``assets/``; this package holds the helpers and the wiring."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.common import CKANConfig

from . import assets, translations  # noqa: F401
from .helpers import get_helpers, label_search_facets, order_facets  # noqa: F401


def update_config(config: CKANConfig) -> None:
    """Static files (logo); the style bundle is in the suite's one webassets
    library (`ckanext-datagovernance`, added by the core plugin)."""
    tk.add_public_directory(config, "../public")
