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
from ckan.exceptions import CkanConfigurationException
from ckan.lib.plugins import DefaultTranslation
from ckan.types import Context

from . import scheduler, ui, visibility, workflow
from .catalog import access, cli, helpers, logic, schema, validators, vocab
from .feedback import actions as feedback_actions
from .feedback import auth as feedback_auth
from .feedback import cli as feedback_cli
from .feedback import jobs as feedback_jobs
from .feedback import service as feedback_service
from .feedback import views as feedback_views
from .hvd import report as hvd_report
from .hvd import views as hvd_views
from .inventory import actions as inventory_actions
from .inventory import cli as inventory_cli
from .inventory import views as inventory_views
from .kpi import actions as kpi_actions
from .kpi import auth as kpi_auth
from .kpi import cli as kpi_cli
from .kpi import jobs as kpi_jobs
from .kpi import views as kpi_views
from .quality import actions as quality_actions
from .quality import auth as quality_auth
from .quality import cli as quality_cli
from .quality import jobs as quality_jobs
from .quality import signals as quality_signals
from .quality import views as quality_views
from .roles import actions as roles_actions
from .roles import auth as roles_auth
from .roles import cli as roles_cli
from .roles import labels as roles_labels
from .roles import owner as roles_owner
from .roles import policy as roles_policy
from .roles import validators as roles_validators
from .roles import views as roles_views
from .workflow import cli as workflow_cli
from .workflow import views as workflow_views

log = logging.getLogger(__name__)

# scheming reads schemas/geodataset.yaml with yaml.safe_load: the
# !datagovernance_extends tag must be known before any plugin's update_config.
schema.register_yaml_tag()

REQUIRED_PLUGINS = ("scheming_datasets", "scheming_groups", "scheming_organizations")

cli.datagovernance.add_command(roles_cli.role)
cli.datagovernance.add_command(roles_cli.user)
cli.datagovernance.add_command(workflow_cli.workflow)
cli.datagovernance.add_command(feedback_cli.feedback)
# granted access requests add readers to a dataset's permission labels
if feedback_service.reader_ids not in roles_labels.extra_readers:
    roles_labels.extra_readers.append(feedback_service.reader_ids)
cli.datagovernance.add_command(quality_cli.quality)
cli.datagovernance.add_command(kpi_cli.kpi)
cli.datagovernance.add_command(scheduler.command)
cli.datagovernance.add_command(inventory_cli.inventory)

# Periodic work of the concerns, enqueued by `ckan datagovernance scheduler`
# (a process of `make run` and of production) and run by `ckan jobs worker`.
scheduler.register("datagovernance_kpi_snapshot", 24 * 3600, kpi_jobs.take_snapshot)
scheduler.register("datagovernance_link_check", 3600, quality_jobs.check_links_due)
scheduler.register("datagovernance_expire_grants", 900, feedback_jobs.expire_grants)


def _validators() -> dict[str, Any]:
    return {**validators.get_validators(), **roles_validators.get_validators(), **roles_owner.get_validators(),
            **workflow.get_validators()}


def _actions() -> dict[str, Any]:
    return {**logic.get_actions(), **roles_actions.get_actions(),
            **workflow.get_actions(), **roles_owner.get_actions(), "datagovernance_hvd_report": hvd_report.datagovernance_hvd_report,
            **visibility.get_actions(), **feedback_actions.get_actions(),
            **quality_actions.get_actions(), **kpi_actions.get_actions(),
            **inventory_actions.get_actions()}


def _auth_functions() -> dict[str, Any]:
    return {**logic.get_auth_functions(), **roles_auth.get_auth_functions(),
            **workflow.get_auth_functions(), "datagovernance_hvd_report": hvd_report.report_auth,
            **feedback_auth.get_auth_functions(), **quality_auth.get_auth_functions(),
            **kpi_auth.get_auth_functions(), **inventory_actions.get_auth_functions()}


def _helpers() -> dict[str, Any]:
    return {**helpers.get_helpers(), **roles_views.get_helpers(), **workflow_views.get_helpers(),
            **feedback_views.get_helpers(), **quality_views.get_helpers(), **kpi_views.get_helpers(),
            **ui.get_helpers(), **inventory_views.get_helpers()}


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
    + feedback_views.get_blueprints() + quality_views.get_blueprints() + kpi_views.get_blueprints() + visibility.get_blueprints()
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
    p.implements(p.IGroupController, inherit=True)
    p.implements(p.ISignal)
    p.implements(p.IMiddleware, inherit=True)

    _own_licenses_url: str | None = None

    # IConfigurer
    def update_config(self, config: CKANConfig) -> None:
        tk.add_template_directory(config, "templates")
        tk.add_resource("assets", "ckanext-datagovernance")  # styles, Chart.js, the dashboard's script
        ui.update_config(config)
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
        if p.plugin_loaded("datagovernance_search"):
            # the task query reads these from the search's narrow filter table:
            # without them every badge and task list would be silently empty
            from .search import backend as search_backend
            from .workflow import policy as workflow_policy

            absent = [k for k in workflow_policy.TASK_KEYWORDS if k not in search_backend.narrow_keys()]
            if absent:
                raise CkanConfigurationException(
                    "ckanext.datagovernance.search.narrow_fields must include " + " ".join(absent))

    # IMiddleware: called once the app and its asset bundles are complete
    def make_middleware(self, app: Any, config: CKANConfig) -> Any:
        ui.assets.build_at_start(config)
        ui.translations.install(app)
        return app

    # IPluginObserver: give CKAN its licence list back when unloaded (tests).
    def after_unload(self, service: Any) -> None:
        if service is self and DataGovernancePlugin._own_licenses_url:
            if tk.config.get("licenses_group_url") == DataGovernancePlugin._own_licenses_url:
                tk.config["licenses_group_url"] = ""
            DataGovernancePlugin._own_licenses_url = None
            _reset_license_register()

    # IFacets: workflow state and access class as search filters
    def dataset_facets(self, facets_dict: dict[str, Any], package_type: str) -> dict[str, Any]:
        facets_dict["domain"] = tk._("Data domain")
        facets_dict["workflow_state"] = tk._("Workflow state")
        facets_dict["access_class"] = tk._("Access class")
        facets_dict["quality_band"] = tk._("Metadata quality")
        return ui.order_facets(facets_dict)

    # IGroupController: moving a domain changes who reads the datasets below it
    def edit(self, entity: Any) -> None:  # shared by IPackageController and IGroupController
        if isinstance(entity, model.Group):
            roles_actions.reindex_moved_domain(entity)
        else:
            self._enforce_private(entity)

    def delete(self, entity: Any) -> None:
        if isinstance(entity, model.Group):
            roles_actions.reindex_moved_domain(entity)

    # IPermissionLabels: read access follows the access class (roles/labels.py)
    _labels = roles_labels.DataGovernanceLabels()

    def get_dataset_labels(self, dataset_obj: model.Package) -> list[str]:
        return self._labels.get_dataset_labels(dataset_obj)

    def get_user_dataset_labels(self, user_obj: model.User) -> list[str]:
        return self._labels.get_user_dataset_labels(user_obj)

    # IPackageController: governance rules on every write
    def create(self, entity: Any) -> None:  # IPackageController and IGroupController
        self._enforce_private(entity)

    @staticmethod
    def _enforce_private(pkg: Any) -> None:
        # CKAN's `private` follows the suite's rule alone (datasets the
        # suite's schemas do not govern keep CKAN's own flag)
        if isinstance(pkg, model.Package) and "access_class" in pkg.extras:
            pkg.private = not roles_policy.is_open_data(pkg)

    def after_dataset_create(self, context: Context, pkg_dict: dict[str, Any]) -> None:
        roles_owner.owner_from_create(context, pkg_dict)

    # IPackageController: the owner comes from the role table; internal
    # fields never reach anonymous users.
    def after_dataset_show(self, context: Context, pkg_dict: dict[str, Any]) -> None:
        if access.anonymous_context(context):
            access.strip_internal(pkg_dict)  # data_owner is internal: no look-up needed
        else:
            roles_owner.show_data_owner(pkg_dict)

    def before_dataset_search(self, search_params: dict[str, Any]) -> dict[str, Any]:
        if access.anonymous_request():
            access.check_search_params(search_params)
        return access.search_audience(search_params)

    # IPackageController: internal text kept apart in the index; activities
    # follow the dataset's current visibility (visibility/activity.py)
    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        visibility.follow_dataset(pkg_dict["id"])
        pkg_dict = quality_views.index_fields(pkg_dict)  # score as facet and sort
        return access.index_marker(pkg_dict)

    def after_dataset_update(self, context: Context, pkg_dict: dict[str, Any]) -> None:
        roles_owner.owner_from_update(context, pkg_dict)
        workflow.after_dataset_update(context, pkg_dict)  # the reopen's event and mail
        pkg = model.Package.get(str(pkg_dict.get("id") or ""))
        if pkg is not None and pkg.state == "deleted":  # deleted rows leave the index unseen
            visibility.hide_dataset(pkg.id)

    def after_dataset_delete(self, context: Context, data_dict: dict[str, Any]) -> None:
        pkg = model.Package.get(str(data_dict.get("id") or ""))
        if pkg is not None:
            visibility.hide_dataset(pkg.id)

    def after_dataset_search(self, search_results: dict[str, Any],
                             search_params: dict[str, Any]) -> dict[str, Any]:
        if access.anonymous_request():
            for result in search_results.get("results", []):
                if isinstance(result, dict):
                    access.strip_internal(result)
        return ui.label_search_facets(search_results)

    # ISignal: re-score a dataset after it changed (a background job)
    def get_signal_subscriptions(self) -> Any:
        return quality_signals.get_subscriptions()

    def before_dataset_view(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        if access.anonymous_request():
            access.strip_internal(pkg_dict)
        return pkg_dict
