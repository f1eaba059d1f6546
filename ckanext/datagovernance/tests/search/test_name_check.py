"""CKAN's name check without its query for a dataset's own stored name
(search/names.py): package_show and the index write answer exactly as with
CKAN's validator, a taken name is still refused, and the index write no
longer asks whether the dataset's own name is taken."""
from __future__ import annotations

from typing import Any

import ckan.logic as logic
import ckan.model as model
import pytest
from ckan.lib.plugins import plugin_validate
from ckan.logic import validators as ckan_validators
from ckan.logic.schema import default_show_package_schema
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.datagovernance.search import names

from .conftest import SEARCH_PLUGINS, StatementLog

pytestmark = [pytest.mark.usefixtures("clean_db", "with_plugins"),
              pytest.mark.ckan_config("ckan.plugins", SEARCH_PLUGINS)]

NAME_QUERY = "FROM package WHERE package.name ="


def _dataset() -> dict[str, Any]:
    org = factories.Organization()
    return factories.Dataset(name="strassenbaeume", title="Straßenbäume", owner_org=org["id"],
                             tags=[{"name": "Umwelt"}], extras=[{"key": "quelle", "value": "GIS"}],
                             resources=[{"url": "https://example.org/b.csv", "format": "CSV"}])


def test_the_suite_validator_is_the_one_schemas_get():
    assert logic.get_validator("package_name_validator") is names.package_name_validator
    assert names.package_name_validator in default_show_package_schema()["name"]


def test_show_and_index_dicts_equal_those_of_ckans_validator():
    ds = _dataset()
    model.Session.remove()
    default, custom = logic.package_show_default_and_custom_schemas({}, ds["id"])
    # the same dictized dataset validated with CKAN's own name check
    context = {"model": model, "session": model.Session, "package": model.Package.get(ds["id"]),
               "ignore_auth": True}
    dictized = call_action("package_show", {"use_cache": False, "validate": False}, id=ds["id"])
    schema = default_show_package_schema()
    schema["name"] = [ckan_validators.package_name_validator if v is names.package_name_validator else v
                      for v in schema["name"]]
    with_ckans, errors = plugin_validate(object(), context, dictized, schema, "package_show")
    assert errors == {}
    assert default == with_ckans
    assert custom == with_ckans
    assert call_action("package_show", id=ds["id"]) == with_ckans


def test_index_write_asks_no_name_query():
    ds = _dataset()
    model.Session.remove()
    with StatementLog() as log:
        logic.index_update_package({}, ds["id"])
    assert not [s for s in log.statements if NAME_QUERY in s]
    # CKAN's validator asks it (the statement the log looks for)
    with StatementLog() as log:
        ckan_validators.package_name_validator(
            ("name",), {("name",): "anderer-name"}, {("name",): []},
            {"session": model.Session, "package": model.Package.get(ds["id"])})
    assert [s for s in log.statements if NAME_QUERY in s]


def test_taken_names_are_still_refused():
    ds = _dataset()
    other = factories.Dataset(name="baumkataster")
    ctx = {"user": factories.Sysadmin()["name"]}
    with pytest.raises(logic.ValidationError) as create:
        factories.Dataset(name="strassenbaeume")
    assert "name" in create.value.error_dict
    with pytest.raises(logic.ValidationError) as rename:
        call_action("package_patch", dict(ctx), id=other["id"], name="strassenbaeume")
    assert "name" in rename.value.error_dict
    # keeping its own name is fine; a free new name too
    call_action("package_patch", dict(ctx), id=ds["id"], name="strassenbaeume", title="Bäume")
    assert call_action("package_patch", dict(ctx), id=other["id"], name="baeume-neu")["name"] == "baeume-neu"


def test_a_name_changed_in_the_session_takes_ckans_query():
    ds = _dataset()
    factories.Dataset(name="baumkataster")
    pkg = model.Package.get(ds["id"])
    pkg.name = "baumkataster"  # not flushed: the row still holds its old name
    errors: dict[Any, list[str]] = {("name",): []}
    names.package_name_validator(("name",), {("name",): "baumkataster"}, errors, {
        "session": model.Session, "package": pkg})
    assert errors[("name",)]
    model.Session.rollback()


def test_a_new_name_read_as_free_for_a_batch_asks_no_query_and_a_held_one_is_refused():
    """Inside a prefetch scope (the inventory import reads its new rows'
    names in one query) a name no dataset holds is free without CKAN's
    query; a name read as held, or not read at all, takes CKAN's check."""
    from ckanext.datagovernance import prefetch
    from ckanext.datagovernance.roles import validators as roles_validators

    ds = _dataset()
    with prefetch.scope():
        roles_validators.prefetch_packages_by_name({"strassenbaeume", "neue-baeume"})
        for value, taken in (("neue-baeume", False), ("strassenbaeume", True), ("nicht-gelesen", False)):
            errors: dict[Any, list[str]] = {("name",): []}
            with StatementLog() as log:
                names.package_name_validator(("name",), {("name",): value}, errors, {"session": model.Session})
            assert bool(errors[("name",)]) is taken, value
            assert bool([s for s in log.statements if NAME_QUERY in s]) is (value != "neue-baeume"), value
    assert model.Package.get(ds["id"]).name == "strassenbaeume"
