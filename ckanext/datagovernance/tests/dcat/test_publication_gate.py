"""DCAT-AP.de validation is a publication gate of the workflow."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.datagovernance.workflow import gates

from .conftest import HVD_CATEGORY, MARKS, dataset_fields

pytestmark = [*MARKS, pytest.mark.usefixtures("clean_db")]


def test_publishing_refuses_dcat_violations():
    from ckanext.datagovernance.dcat import validation

    assert "dcat_ap_de" in gates._GATES
    submitter, reviewer = factories.Sysadmin(), factories.Sysadmin()
    org = factories.Organization()
    # an HVD dataset whose distributions state no licence violates the HVD shapes
    ds = call_action("package_create", {"user": submitter["name"]}, **dataset_fields(
        org, "hvd-ohne-lizenz", hvd_category=[HVD_CATEGORY], license_id=""))
    shape_messages = validation.publication_gate(call_action("package_show", {}, id=ds["id"]))
    assert shape_messages

    def move(user, to):
        return call_action("datagovernance_workflow_transition", {"user": user["name"], "ignore_auth": False},
                           id=ds["id"], to=to)

    move(submitter, "in_review")
    move(reviewer, "approved")
    with pytest.raises(tk.ValidationError) as err:
        move(reviewer, "published")
    assert set(shape_messages) <= set(err.value.error_dict["gates"])


def test_gate_is_off_without_the_plugin():
    import ckan.plugins as p

    p.unload("datagovernance_dcat")
    try:
        assert gates._GATES["dcat_ap_de"]({"access_class": "public"}) == []
    finally:
        p.load("datagovernance_dcat")
