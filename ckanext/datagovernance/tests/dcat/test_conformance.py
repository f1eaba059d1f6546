"""Our own shapes accept every published demo dataset (the official shapes
run over every feed in test_feed_conformance.py)."""
from __future__ import annotations

import pytest

from ckanext.datagovernance.catalog import demo

from .conftest import MARKS

pytestmark = MARKS


@pytest.fixture(scope="module")
def demo_feeds(dcat_catalog):
    """The demo municipality seeded on top of the module catalog; returns the
    public, published datasets our publication gate refuses."""
    from ckan.tests.helpers import call_action

    from ckanext.datagovernance.dcat import validation

    from .conftest import loaded

    with loaded():
        demo.seed("Demo-Passwort-1")
        found = call_action("package_search", q="*:*", rows=1000,
                            fq="+access_class:public +workflow_state:published")
        return {p["name"] for p in found["results"] if validation.publication_gate(p)}


def test_own_shapes_accept_every_published_demo_dataset(demo_feeds):
    # every public HVD dataset of the demo data has its API (data service)
    assert demo_feeds == set()
