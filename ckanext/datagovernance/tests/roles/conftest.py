"""A city with every governance role and one dataset per access class."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import ckan.model as model
import ckan.plugins as plugins
import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ..conftest import reset_and_migrate

ACCESS_CLASSES = ("public", "internal", "restricted", "confidential")
PERSONAS = (
    "sysadmin", "officer", "office", "steward", "steward_deputy", "other_steward", "owner",
    "owner_deputy", "dpo", "iso", "org_editor", "org_member", "plain",
)


def build_city() -> SimpleNamespace:
    users = {name: factories.User(name=f"dg_{name}", fullname=name.replace("_", " ").title()) for name in PERSONAS}
    model.User.get("dg_sysadmin").sysadmin = True
    model.Session.commit()
    admin = {"user": "dg_sysadmin"}
    hochbau = factories.Organization(
        name="hochbau", title="Amt für Hochbau",
        users=[{"name": "dg_org_editor", "capacity": "editor"}, {"name": "dg_org_member", "capacity": "member"}],
    )
    kaemmerei = factories.Organization(name="kaemmerei", title="Kämmerei")
    gebaeude = call_action("group_create", dict(admin), type="domain", name="gebaeude", title="Gebäudedaten")
    mietobjekte = call_action(
        "group_create", dict(admin), type="domain", name="mietobjekte", title="Mietobjekte", parent_domain="gebaeude"
    )
    verkehr = call_action("group_create", dict(admin), type="domain", name="verkehr", title="Verkehr")

    def grant(user: str, role: str, **scope: Any) -> None:
        call_action("datagovernance_role_grant", dict(admin), user=f"dg_{user}", role=role, **scope)

    grant("officer", "governance_officer")
    grant("office", "data_office")
    grant("dpo", "dpo", contact="Tel. 069 8065-0")
    grant("iso", "iso")
    grant("steward", "steward", domain="gebaeude")
    grant("steward_deputy", "steward", domain="gebaeude", deputy=True)
    grant("other_steward", "steward", domain="verkehr")

    datasets: dict[str, dict[str, Any]] = {}
    for cls in ACCESS_CLASSES:
        datasets[cls] = call_action(
            "package_create", dict(admin), name=f"mietvertraege-{cls}", title=f"Mietverträge {cls}",
            notes="Mietobjekte der Stadt", owner_org=hochbau["id"], domain="mietobjekte",
            access_class=cls, personal_data="none", data_owner="dg_owner",
            tags=[{"name": "Mietobjekte"}],
            resources=[{"url": f"https://intern.example/{cls}.csv", "format": "CSV", "name": f"Liste {cls}"}],
        )
        grant("owner_deputy", "owner", dataset=datasets[cls]["id"], deputy=True)
    # open data = public and published (the workflow's own tests cover the way there)
    call_action("package_patch", dict(admin, datagovernance_workflow_transition=True),
                id=datasets["public"]["id"], workflow_state="published")
    model.Session.commit()
    return SimpleNamespace(
        users=users, hochbau=hochbau, kaemmerei=kaemmerei, gebaeude=gebaeude, mietobjekte=mietobjekte,
        verkehr=verkehr, datasets=datasets,
    )


@pytest.fixture(scope="module")
def city() -> SimpleNamespace:
    plugins.load_all()
    try:
        reset_and_migrate()
        yield build_city()
    finally:
        plugins.unload_all()
