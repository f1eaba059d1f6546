"""Who sees the quality fix list of a dataset: its maintainers (data owner and
deputy, the domain's stewards, data office, governance officer) as decided by
``roles.policy.may_maintain``. The score itself is as readable as the dataset."""
from __future__ import annotations

import ckan.model as model

from ..roles import policy


def may_see_fixes(user: model.User | None, pkg: model.Package) -> bool:
    return policy.may_maintain(user, pkg)
