"""The import's write path for new rows with the DCAT plugins loaded, as a
site runs them: ckanext-dcat's ``after_dataset_show`` and
``before_dataset_index`` and the suite's DCAT plugin take part in every
index document, and the rows written together still leave what
``package_create`` leaves (the same comparison as test_write_path.py)."""
from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from ckanext.datagovernance.inventory import newrows

from ..dcat.conftest import MARKS, loaded
from .conftest import build_inventory_city
from .test_write_path import (
    test_import_writes_what_package_create_writes as _compare_with_package_create,
)

pytestmark = MARKS


@pytest.fixture(scope="module")
def city() -> Iterator[SimpleNamespace]:
    with loaded():
        yield build_inventory_city()


def test_import_writes_what_package_create_writes_with_dcat(city, caplog):
    import ckan.plugins as p

    assert p.plugin_loaded("dcat") and p.plugin_loaded("datagovernance_dcat")
    assert newrows.applies()
    _compare_with_package_create(city, caplog)
