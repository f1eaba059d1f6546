"""datagovernance_search: CKAN's search served by PostgreSQL (no Solr)."""
from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.common import CKANConfig

from . import backend, names, seam


@tk.chained_action
@tk.side_effect_free  # a GET action like CKAN's own
def package_autocomplete(up_func: Any, context: Any, data_dict: dict[str, Any]) -> Any:
    # CKAN's autocomplete reads only the first rows, never the hit count:
    # counting every dataset that contains a common prefix ("haus") would
    # be most of its cost.
    with backend.without_count():
        return up_func(context, data_dict)


@tk.blanket.config_declarations
class DataGovernanceSearchPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IActions)
    p.implements(p.IValidators)
    p.implements(p.IPackageController, inherit=True)

    # IConfigurer: runs before CKAN's start-up Solr schema check.
    def update_config(self, config: CKANConfig) -> None:
        if config.get("ckanext.datagovernance.search.backend") == "solr":
            seam.uninstall()
        else:
            seam.install()

    # IActions
    def get_actions(self) -> dict[str, Any]:
        return {"package_autocomplete": package_autocomplete}

    # IValidators: CKAN's name check without its query for a dataset's own
    # stored name (every index write's show validation ran it, names.py)
    def get_validators(self) -> dict[str, Any]:
        return names.get_validators()

    # IPackageController: a rebuild reads each dataset once, not 2-3 times
    def after_dataset_show(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        backend.hold_shown_package(context.get("package"))
