"""The dataset page's governance panels for a logged-in user: their facts
read together. Who sees which panel stays with each panel's helper and its
policy; this only reads, in one statement, the facts of the panels (approval
record, people responsible, quality, and what plugins register, such as the
portals' record) and the facts their policies decide on (owners, domain
lineage), so that each panel's own read finds them in the request memo. A
reader who does not see a panel has its facts read without being shown
them: one statement costs less than deciding first and reading after."""
from __future__ import annotations

import ckan.model as model

from .. import page_facts, request_memo

_EXTRA: dict[str, page_facts.Part] = {}


def register(name: str, part: page_facts.Part) -> None:
    """The facts of a plugin's panel on the dataset page (dcat: the portals)."""
    _EXTRA[name] = part


def unregister(name: str) -> None:
    _EXTRA.pop(name, None)


def read_facts(pkg: model.Package) -> None:
    """Once per request and dataset (called by the first panel shown)."""
    from ..quality import model as quality
    from ..roles import service as roles
    from ..workflow import service as workflow

    def read() -> bool:
        page_facts.read_together(pkg, [workflow.FACTS, roles.RESPONSIBLE, roles.LABEL_FACTS,
                                       quality.SHOWN_SCORE, quality.LATEST_LINKS, *_EXTRA.values()])
        return True

    request_memo.remembered("dataset_panel_facts", pkg.id, read)
