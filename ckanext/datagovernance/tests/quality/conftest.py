"""A small catalog for the quality and KPI tests (dcat profile loaded: the
score is computed from the DCAT-AP.de output)."""
from __future__ import annotations

from typing import Any

import ckan.model as model
import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ..dcat.conftest import MARKS, dataset_fields, loaded, publish  # noqa: F401

__all__ = ["MARKS", "dataset_fields", "loaded", "publish"]


def _admin() -> dict[str, Any]:
    return {"user": "dq_admin"}


@pytest.fixture(scope="module")
def qcat() -> dict[str, Any]:
    """Organisation, domain, people and datasets of several qualities."""
    from ..conftest import reset_and_migrate

    with loaded():
        reset_and_migrate()
        users = {n: factories.User(name=f"dq_{n}", fullname=f"DQ {n.title()}")
                 for n in ("admin", "owner", "steward", "office", "staff", "outsider")}
        model.User.get("dq_admin").sysadmin = True
        model.Session.commit()
        ctx = _admin()
        org = call_action(
            "organization_create", dict(ctx), name="of-amt-stadtplanung", title="Amt für Stadtplanung",
            political_geocoding_uri="064130000000", political_geocoding_level="municipality",
            contributor_id="hessen", publisher_type="LocalAuthority", email="stadtplanung@offenbach.example")
        domain = call_action("group_create", dict(ctx), type="domain", name="geodaten", title="Geodaten")
        call_action("datagovernance_role_grant", dict(ctx), user="dq_steward", role="steward", domain="geodaten")
        call_action("datagovernance_role_grant", dict(ctx), user="dq_office", role="data_office")
        good = publish(users["admin"], call_action("package_create", dict(ctx), **dataset_fields(
            org, "gute-metadaten", domain="geodaten", data_owner="dq_owner",
            temporal_start="2020-01-01", temporal_end="2024-12-31")))
        poor = call_action("package_create", dict(ctx), name="duerftige-metadaten", title="Dürftige Metadaten",
                           owner_org=org["id"], access_class="internal", personal_data="none",
                           domain="geodaten", data_owner="dq_owner",
                           resources=[{"url": "https://opendata.offenbach.example/x.pdf", "name": "PDF"}])
        secret = call_action("package_create", dict(ctx), **dataset_fields(
            org, "vertrauliche-liste", access_class="confidential", data_owner="dq_owner"))
        model.Session.commit()
        yield {"users": users, "org": org, "domain": domain, "good": good, "poor": poor, "secret": secret}
