"""datagovernance_harvest: harvested datasets enter governance (R4.6, R7).

Thin: wires ckanext-dcat's RDF harvester hooks and two chained actions to
``service.py``. Needs the plugins ``harvest`` and ``dcat_rdf_harvester``.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.common import CKANConfig
from ckan.types import Context
from ckanext.dcat.interfaces import IDCATRDFHarvester

from ..catalog import cli as core_cli
from . import actions, service, views
from .cli import harvest as harvest_cli

core_cli.datagovernance.add_command(harvest_cli)

log = logging.getLogger(__name__)


@tk.blanket.actions(actions.get_actions)
@tk.blanket.helpers(views.get_helpers)
@tk.blanket.blueprints(views.get_blueprints)
class DataGovernanceHarvestPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IConfigurable)
    p.implements(IDCATRDFHarvester, inherit=True)
    p.implements(p.ITranslation)

    # ITranslation: ckanext-harvest ships no German; its strings' German
    # catalogue lives in the suite's i18n directory under harvest's domain.
    def i18n_directory(self) -> str:
        return str(Path(__file__).resolve().parents[1] / "i18n")

    def i18n_locales(self) -> list[str]:
        return ["de"]

    def i18n_domain(self) -> str:
        return "ckanext-harvest"

    # IConfigurer: German harvest pages (the menu entry is in the suite's header.html)
    def update_config(self, config: CKANConfig) -> None:
        tk.add_template_directory(config, "templates")

    # IConfigurable
    def configure(self, config: CKANConfig) -> None:
        missing = [n for n in ("harvest", "datagovernance") if not p.plugin_loaded(n)]
        if missing:
            log.warning("datagovernance_harvest needs the plugins %s", " ".join(missing))

    # IDCATRDFHarvester
    def before_create(self, harvest_object: Any, dataset_dict: dict[str, Any],
                      temp_dict: dict[str, Any]) -> None:
        temp_dict["datagovernance"] = service.apply_defaults(harvest_object, dataset_dict)

    def after_create(self, harvest_object: Any, dataset_dict: dict[str, Any],
                     temp_dict: dict[str, Any]) -> str | None:
        todo = temp_dict.get("datagovernance") or {}
        try:
            service.set_initial_state(dataset_dict["id"], todo.get("workflow_state"),
                                      _site_user())
        except tk.ValidationError as e:
            return str(e.error_summary)
        return None

    def before_update(self, harvest_object: Any, dataset_dict: dict[str, Any],
                      temp_dict: dict[str, Any]) -> None:
        service.keep_local(dataset_dict)


def _site_user() -> str:
    context: Context = {"ignore_auth": True}
    return tk.get_action("get_site_user")(context, {})["name"]
