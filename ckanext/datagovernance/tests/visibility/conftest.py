"""A probe catalog: one dataset per access class × workflow state, plus a
CKAN draft, a deleted dataset and a once-public dataset reclassified as
confidential; every dataset carries unique markers (name, title, tag,
resource URL, internal values), so a leak is a substring in a response."""
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
WORKFLOW_STATES = ("draft", "in_review", "approved", "published", "withdrawn", "archived")
PERSONAS = (
    "sysadmin", "officer", "office", "steward", "other_steward", "owner", "dpo", "iso",
    "org_editor", "org_member", "plain",
)
# the workflow's own tests cover the way through the gates; here the state is set
FLAG = {"datagovernance_workflow_transition": True}


def key_of(ds: dict[str, Any]) -> str:
    """`probeNN`: part of the dataset's name, title, notes, tag, resource URL
    and internal values, so one substring finds any of them."""
    return ds["name"].split("-", 1)[0]


def markers(ds: dict[str, Any]) -> dict[str, str]:
    """What must never reach a caller who may not read `ds`."""
    return {
        "id": ds["id"], "name": ds["name"], "title": ds["title"], "tag": ds["tags"][0]["name"],
        "url": ds["resources"][0]["url"], "source_system": ds["source_system"],
        "storage_location": ds["storage_location"],
    }


def build_probe_catalog() -> SimpleNamespace:
    users = {name: factories.User(name=f"vis_{name}", fullname=f"Vis {name}") for name in PERSONAS}
    model.User.get("vis_sysadmin").sysadmin = True
    model.Session.commit()
    admin = {"user": "vis_sysadmin"}
    org = factories.Organization(
        name="vis-hochbau", title="Amt für Hochbau (Probe)",
        users=[{"name": "vis_org_editor", "capacity": "editor"}, {"name": "vis_org_member", "capacity": "member"}],
    )
    other_org = factories.Organization(name="vis-kaemmerei", title="Kämmerei (Probe)")
    # a CKAN group (data domains are a dataset field, not group membership)
    group = factories.Group(name="vis-themen", title="Themen (Probe)")
    call_action("group_create", dict(admin), type="domain", name="vis-gebaeude", title="Gebäude (Probe)")
    domain = call_action("group_create", dict(admin), type="domain", name="vis-mietobjekte",
                         title="Mietobjekte (Probe)", parent_domain="vis-gebaeude")
    call_action("group_create", dict(admin), type="domain", name="vis-verkehr", title="Verkehr (Probe)")

    def grant(user: str, role: str, **scope: Any) -> None:
        call_action("datagovernance_role_grant", dict(admin), user=f"vis_{user}", role=role, **scope)

    grant("officer", "governance_officer")
    grant("office", "data_office")
    grant("dpo", "dpo", contact="Tel. 069 8065-0")
    grant("iso", "iso")
    grant("steward", "steward", domain="vis-gebaeude")
    grant("other_steward", "steward", domain="vis-verkehr")

    counter = iter(range(100))

    def create(cls: str, label: str, workflow: str = "draft", **extra: Any) -> dict[str, Any]:
        i = next(counter)
        key = f"probe{i:02d}"
        if cls == "restricted":  # personal data: the DPO reads it too
            extra.update(personal_data="pseudonymised", personal_data_legal_basis=f"{key}rechtsgrundlage",
                         retention_period="10 Jahre")
        params = dict(
            name=f"{key}-{cls}-{label}".replace("_", "-"),
            title=f"Probetitel {key} {cls} {label}", notes=f"Beschreibung {key}",
            owner_org=org["id"], domain="vis-mietobjekte", access_class=cls, personal_data="none",
            source_system=f"{key}quellsystem", storage_location=f"{key}speicherort",
            data_owner="vis_owner" if cls == "confidential" else None, workflow_state=workflow,
            tags=[{"name": f"{key}schlagwort"}], groups=[{"name": "vis-themen"}],
            # confidential files are GeoPackages: their format must not leak either
            resources=[{"url": f"https://intern.example/{key}datei.csv", "name": f"Liste {key}",
                        "format": "GPKG" if cls == "confidential" else "CSV"}],
        )
        return call_action("package_create", dict(admin, **FLAG), **dict(params, **extra))

    def public_once(cls: str, label: str, **extra: Any) -> dict[str, Any]:
        """Published and edited, so activities with the label `public` exist."""
        ds = create(cls, label, "published", **extra)
        call_action("package_patch", dict(admin), id=ds["id"], notes=f"Geändert {ds['name']}")
        return ds

    datasets: dict[str, dict[str, Any]] = {}
    for cls in ACCESS_CLASSES:
        for state in WORKFLOW_STATES:
            if cls == "public" and state in ("withdrawn", "archived"):
                ds = public_once(cls, state)
                call_action("package_patch", dict(admin, **FLAG), id=ds["id"], workflow_state=state)
            else:
                ds = create(cls, state, state)
            datasets[f"{cls}/{state}"] = ds
    # CKAN's own draft state, although the workflow says published
    datasets["ckan-draft"] = create("public", "ckandraft", "published", state="draft")
    # deleted after it was public
    datasets["deleted"] = public_once("public", "geloescht")
    call_action("package_delete", dict(admin), id=datasets["deleted"]["id"])
    # once public, now confidential (a reclassification)
    datasets["reclassified"] = public_once("public", "umgestuft")
    call_action("package_patch", dict(admin), id=datasets["reclassified"]["id"], access_class="confidential")
    model.Session.commit()
    return SimpleNamespace(users=users, org=org, other_org=other_org, group=group, domain=domain,
                           datasets=datasets)


@pytest.fixture(scope="module")
def probe_catalog() -> SimpleNamespace:
    plugins.load_all()
    try:
        reset_and_migrate()
        yield build_probe_catalog()
    finally:
        plugins.unload_all()


def readable(persona: str, ds: dict[str, Any]) -> bool:
    """The oracle: roles/policy.py's may_read on the dataset as it is now."""
    from ckanext.datagovernance.roles import policy

    user = None if persona == "anonymous" else model.User.get(f"vis_{persona}")
    return policy.may_read(user, model.Package.get(ds["id"]))
