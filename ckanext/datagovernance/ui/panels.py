"""The dataset page's governance panels for a logged-in user: their facts
read together. Who sees which panel stays with each panel's helper and its
policy; this only reads, in one statement, the facts of the panels every
reader of the dataset gets (approval record, people responsible) and the
facts their policies decide on (owners, domain lineage), so that each
panel's own read finds them in the request memo."""
from __future__ import annotations

import ckan.model as model

from .. import page_facts, request_memo


def read_facts(pkg: model.Package) -> None:
    """Once per request and dataset (called by the first panel shown)."""
    from ..roles import service as roles
    from ..workflow import service as workflow

    def read() -> bool:
        page_facts.read_together(pkg, [workflow.FACTS, roles.RESPONSIBLE, roles.LABEL_FACTS])
        return True

    request_memo.remembered("dataset_panel_facts", pkg.id, read)
