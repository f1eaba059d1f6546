"""datagovernance_search: CKAN's search served by PostgreSQL (no Solr)."""
from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.common import CKANConfig

from . import seam


@tk.blanket.config_declarations
class DataGovernanceSearchPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)

    # IConfigurer: runs before CKAN's start-up Solr schema check.
    def update_config(self, config: CKANConfig) -> None:
        if config.get("ckanext.datagovernance.search.backend") == "solr":
            seam.uninstall()
        else:
            seam.install()
