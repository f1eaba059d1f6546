"""datagovernance: the governance core. Thin: it only wires CKAN interfaces
to the sub-packages (catalog: schemas, vocabularies, validation, internal
fields, demo; roles: role model, rights, permission labels; later: workflow)."""
from __future__ import annotations

import logging
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan import model
from ckan.common import CKANConfig
from ckan.lib.plugins import DefaultTranslation
from ckan.types import Context

from .catalog import access, cli, helpers, logic, schema, validators, vocab
from .hvd import report as hvd_report
from .hvd import views as hvd_views
from .inventory import actions as inventory_actions
from .inventory import cli as inventory_cli
from .inventory import views as inventory_views
from .roles import cli as roles_cli
from .roles import labels as roles_labels
from .roles import logic as roles_logic
from .roles import rights as roles_rights
from .roles import views as roles_views
from .workflow import cli as workflow_cli
from .workflow import logic as workflow_logic
from .workflow import views as workflow_views

log = logging.getLogger(__name__)

# scheming reads schemas/geodataset.yaml with yaml.safe_load: the
# !datagovernance_extends tag must be known before any plugin's update_config.
schema.register_yaml_tag()

REQUIRED_PLUGINS = ("scheming_datasets", "scheming_groups", "scheming_organizations")

cli.datagovernance.add_command(roles_cli.role)
cli.datagovernance.add_command(roles_cli.user)
cli.datagovernance.add_command(workflow_cli.workflow)
cli.datagovernance.add_command(inventory_cli.inventory)


def _validators() -> dict[str, Any]:
    return {**validators.get_validators(), **roles_rights.get_validators()}


def _actions() -> dict[str, Any]:
    return {**logic.get_actions(), **roles_logic.get_actions(), **roles_rights.get_actions(),
            **workflow_logic.get_actions(), "datagovernance_hvd_report": hvd_report.datagovernance_hvd_report,
            **inventory_actions.get_actions()}


def _auth_functions() -> dict[str, Any]:
    return {**logic.get_auth_functions(), **roles_logic.get_auth_functions(), **roles_rights.get_auth_functions(),
            **workflow_logic.get_auth_functions(), "datagovernance_hvd_report": hvd_report.report_auth,
            **inventory_actions.get_auth_functions()}


def _helpers() -> dict[str, Any]:
    return {**helpers.get_helpers(), **roles_views.get_helpers(), **workflow_views.get_helpers(),
            **inventory_views.get_helpers()}


def _reset_license_register() -> None:
    if "_license_register" in vars(model.Package):
        del model.Package._license_register


@tk.blanket.config_declarations
@tk.blanket.validators(_validators)
@tk.blanket.helpers(_helpers)
@tk.blanket.actions(_actions)
@tk.blanket.auth_functions(_auth_functions)
@tk.blanket.cli(cli.get_commands)
@tk.blanket.blueprints(
    lambda: roles_views.get_blueprints() + workflow_views.get_blueprints() + hvd_views.get_blueprints()
    + inventory_views.get_blueprints()
)
class DataGovernancePlugin(p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.IConfigurable)
    p.implements(p.ITranslation)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IPluginObserver, inherit=True)
    p.implements(p.IPermissionLabels)
    p.implements(p.IFacets, inherit=True)

    _own_licenses_url: str | None = None

    # IConfigurer
    def update_config(self, config: CKANConfig) -> None:
        tk.add_template_directory(config, "templates")
        tk.add_resource("assets", "datagovernance")
        if not config.get("licenses_group_url"):
            # CKAN's licence register = the dcat-ap.de list shipped in vocab/.
            config["licenses_group_url"] = vocab.licenses_url()
            DataGovernancePlugin._own_licenses_url = config["licenses_group_url"]
            _reset_license_register()

    # IConfigurable
    def configure(self, config: CKANConfig) -> None:
        missing = [name for name in REQUIRED_PLUGINS if not p.plugin_loaded(name)]
        if missing:
            log.warning("datagovernance: the catalog schemas need the plugins %s",
                        " ".join(missing))

    # IPluginObserver: give CKAN its licence list back when unloaded (tests).
    def after_unload(self, service: Any) -> None:
        if service is self and DataGovernancePlugin._own_licenses_url:
            if tk.config.get("licenses_group_url") == DataGovernancePlugin._own_licenses_url:
                tk.config["licenses_group_url"] = ""
            DataGovernancePlugin._own_licenses_url = None
            _reset_license_register()

    # IFacets: workflow state and access class as search filters
    def dataset_facets(self, facets_dict: dict[str, Any], package_type: str) -> dict[str, Any]:
        facets_dict["workflow_state"] = tk._("Workflow state")
        facets_dict["access_class"] = tk._("Access class")
        return facets_dict

    # IPermissionLabels: read access follows the access class (roles/labels.py)
    _labels = roles_labels.DataGovernanceLabels()

    def get_dataset_labels(self, dataset_obj: model.Package) -> list[str]:
        return self._labels.get_dataset_labels(dataset_obj)

    def get_user_dataset_labels(self, user_obj: model.User) -> list[str]:
        return self._labels.get_user_dataset_labels(user_obj)

    # IPackageController: governance rules on every write
    def create(self, entity: model.Package) -> None:
        roles_rights.enforce_private(entity)

    def edit(self, entity: model.Package) -> None:
        roles_rights.enforce_private(entity)

    def after_dataset_create(self, context: Context, pkg_dict: dict[str, Any]) -> None:
        roles_rights.owner_from_create(context, pkg_dict)

    # IPackageController: the owner comes from the role table; internal
    # fields never reach anonymous users.
    def after_dataset_show(self, context: Context, pkg_dict: dict[str, Any]) -> None:
        if access.anonymous_context(context):
            access.strip_internal(pkg_dict)  # data_owner is internal: no look-up needed
        else:
            roles_rights.show_data_owner(pkg_dict)

    def before_dataset_search(self, search_params: dict[str, Any]) -> dict[str, Any]:
        if access.anonymous_request():
            access.check_search_params(search_params)
        return search_params

    def after_dataset_search(self, search_results: dict[str, Any],
                             search_params: dict[str, Any]) -> dict[str, Any]:
        if access.anonymous_request():
            for result in search_results.get("results", []):
                if isinstance(result, dict):
                    access.strip_internal(result)
        return search_results

    def before_dataset_view(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        if access.anonymous_request():
            access.strip_internal(pkg_dict)
        return pkg_dict
