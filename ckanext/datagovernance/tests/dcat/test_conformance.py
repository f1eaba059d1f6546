"""The demo catalog's feeds pass the official shapes (offline kit in
../shared/conformance; not part of the product, skipped when absent)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ckanext.datagovernance.catalog import demo

from .conftest import MARKS

pytestmark = MARKS

KIT = Path(__file__).resolve().parents[5] / "shared" / "conformance"
if not (KIT / "validate.py").exists():
    KIT = Path("/work/shared/conformance")


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


def _validate(tmp_path: Path, profile: str, body: str, suffix: str) -> str:
    path = tmp_path / f"feed-{profile}{suffix}"
    path.write_text(body, encoding="utf-8")
    done = subprocess.run([sys.executable, str(KIT / "validate.py"), "-q", "--profile",
                           profile, str(path)], capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.skipif(not (KIT / "validate.py").exists(), reason="conformance kit absent")
@pytest.mark.parametrize("url,profile,suffix", [
    ("/catalog.ttl", "de", ".ttl"),
    ("/catalog/hessen.rdf", "de", ".rdf"),
    ("/catalog/hessen.rdf", "de-conventions", ".rdf"),
    ("/catalog/hvd.ttl", "hvd", ".ttl"),
])
def test_demo_feed_passes_official_shapes(demo_feeds, app, tmp_path, url, profile, suffix):
    body = app.get(url).body
    assert "dcat:Dataset" in body or "dcat#Dataset" in body
    summary = _validate(tmp_path, profile, body, suffix)
    assert summary.startswith("violations: 0,"), (url, profile, summary)
