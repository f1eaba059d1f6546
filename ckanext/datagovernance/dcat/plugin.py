"""datagovernance_dcat: the DCAT-AP.de / HVD profile (``dcat_ap_de``), the
feeds for GovData, the Hessian portal and HVD, and SHACL validation. Thin:
the work is in profile.py, feeds.py and validation.py."""
from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.common import CKANConfig

from ckanext.datagovernance.catalog import cli
from ckanext.datagovernance.ui import panels
from ckanext.datagovernance.workflow import gates

from . import feeds, publication, publication_views, validation

cli.datagovernance.add_command(validation.validate_command)


def _publication_gate(pkg_dict: dict[str, Any]) -> list[str]:
    # CKAN does not tell a plugin that it was unloaded, so the gate checks
    return validation.publication_gate(pkg_dict) if p.plugin_loaded("datagovernance_dcat") else []


def _actions() -> dict[str, Any]:
    return {**feeds.get_actions(), **validation.get_actions(), **publication.get_actions()}


def _auth_functions() -> dict[str, Any]:
    return {**validation.get_auth_functions(), **publication.get_auth_functions()}


@tk.blanket.config_declarations
@tk.blanket.actions(_actions)
@tk.blanket.auth_functions(_auth_functions)
@tk.blanket.blueprints(lambda: feeds.get_blueprints() + publication_views.get_blueprints())
@tk.blanket.helpers(publication_views.get_helpers)
class DataGovernanceDcatPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurable)
    p.implements(p.IPackageController, inherit=True)

    # IConfigurable
    def configure(self, config: CKANConfig) -> None:
        if not p.plugin_loaded("dcat"):
            from ckan.exceptions import CkanConfigurationException

            raise CkanConfigurationException("datagovernance_dcat needs the dcat plugin")
        mode = config.get("ckanext.datagovernance.dcat.delivery_mode")
        if mode not in ("direct", "state_portal"):
            from ckan.exceptions import CkanConfigurationException

            raise CkanConfigurationException(
                "ckanext.datagovernance.dcat.delivery_mode must be 'direct' or "
                f"'state_portal', not {mode!r}")
        # publishing (workflow) refuses datasets with DCAT-AP.de violations
        gates.register("dcat_ap_de", _publication_gate)
        # the portals' record is read with the dataset page's other panels' facts
        panels.register("publication", publication.STATUS)

    # IPackageController: DCAT feeds list only public, published datasets
    def before_dataset_search(self, search_params: dict[str, Any]) -> dict[str, Any]:
        return feeds.restrict_search(search_params)
