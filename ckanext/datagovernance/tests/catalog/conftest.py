"""Fixtures of the catalog tests: one small governance set-up per module."""
from __future__ import annotations

import itertools
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

THEME = "http://publications.europa.eu/resource/authority/data-theme/"
_counter = itertools.count()


def unique(prefix: str = "ds") -> str:
    return f"{prefix}-{next(_counter)}"


@pytest.fixture(scope="module")
def catalog_db() -> None:
    """A database reset once per module (clean_db costs ~1.5 s per use)."""
    from ckanext.datagovernance.tests.conftest import reset_and_migrate

    p.load_all()  # migrations are looked up through the loaded plugins
    try:
        reset_and_migrate()
    finally:
        p.unload_all()


@pytest.fixture(scope="module")
def catalog(catalog_db) -> dict[str, Any]:
    """Organisation, data domain with sub-domain, data owner and sysadmin,
    created once per module (plugins loaded just for the set-up)."""
    p.load_all()
    try:
        sysadmin = factories.SysadminWithToken()
        owner = factories.UserWithToken(name="owner-test", fullname="Olga Owner")
        org = call_action(
            "organization_create",
            {"user": sysadmin["name"]},
            name="test-amt",
            title="Testamt",
            political_geocoding_level="municipality",
            political_geocoding_uri="064130000000",
            contributor_id="hessen",
            publisher_type="LocalAuthority",
        )
        call_action("organization_member_create", {"user": sysadmin["name"]},
                    id=org["id"], username=owner["name"], role="editor")
        domain = call_action("group_create", {"user": sysadmin["name"]},
                             name="gebaeudedaten", title="Gebäudedaten", type="domain")
        sub = call_action("group_create", {"user": sysadmin["name"]},
                          name="gebaeudedaten-standorte", title="Standorte", type="domain",
                          parent_domain="gebaeudedaten")
        yield {"sysadmin": sysadmin, "owner": owner, "org": org, "domain": domain, "sub": sub}
    finally:
        p.unload_all()


def base_dataset(catalog: dict[str, Any], **fields: Any) -> dict[str, Any]:
    data = {
        "name": unique(),
        "title": "Standorte städtischer Gebäude",
        "notes": "Testdatensatz",
        "owner_org": catalog["org"]["id"],
        "access_class": "internal",
        "personal_data": "none",
    }
    data.update(fields)
    return data


def create(catalog: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return call_action("package_create", {"user": catalog["sysadmin"]["name"]},
                       **base_dataset(catalog, **fields))


def create_error(catalog: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """package_create must fail; returns the error dict and checks nothing was written."""
    data = base_dataset(catalog, **fields)
    with pytest.raises(tk.ValidationError) as exc:
        call_action("package_create", {"user": catalog["sysadmin"]["name"]}, **data)
    with pytest.raises(tk.ObjectNotFound):
        call_action("package_show", id=data["name"])
    return exc.value.error_dict
