"""German first: every message id translated, schemas bilingual, German errors served."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from ckanext.datagovernance.catalog import schema as schema_mod

PACKAGE = Path(__file__).resolve().parents[2]
I18N = PACKAGE / "i18n"
POT = I18N / "ckanext-datagovernance.pot"
PO_DE = I18N / "de" / "LC_MESSAGES" / "ckanext-datagovernance.po"


def _ids(path: Path) -> set[str]:
    with path.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


def test_every_pot_message_has_a_german_translation():
    with PO_DE.open("rb") as f:
        de = {m.id: m.string for m in read_po(f) if m.id}
    pot = _ids(POT)
    assert pot
    untranslated = sorted(i for i in pot if not de.get(i))
    assert not untranslated


def test_pot_is_up_to_date_with_the_sources():
    found = set()
    for sub in ("catalog",):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            PACKAGE / sub, method_map=[("**.py", "python")]
        ):
            found.add(message if isinstance(message, str) else message[0])
    assert found <= _ids(POT), sorted(found - _ids(POT))


def _texts(field: dict) -> list:
    return [field[k] for k in ("label", "help_text", "repeating_label") if k in field]


@pytest.mark.parametrize("name", ["dataset.yaml", "organization.yaml", "domain.yaml",
                                  "geodataset.yaml"])
def test_schema_labels_and_help_texts_in_both_languages(name):
    schema_mod.register_yaml_tag()
    with (PACKAGE / "schemas" / name).open(encoding="utf-8") as f:
        schema = yaml.safe_load(f)
    fields = [f for group in ("dataset_fields", "resource_fields", "fields")
              for f in schema.get(group, [])]
    fields += [sub for f in fields for sub in f.get("repeating_subfields", [])]
    assert fields
    for field in fields:
        for text in _texts(field):
            assert isinstance(text, dict) and text.get("de") and text.get("en"), field["field_name"]


@pytest.mark.usefixtures("with_plugins")
@pytest.mark.ckan_config("ckan.locale_default", "de")
def test_validation_errors_are_german_in_the_german_ui(app, catalog):
    response = app.post(
        "/api/3/action/package_create",
        json={"name": "falsche-klasse", "title": "x", "owner_org": catalog["org"]["id"],
              "personal_data": "none", "access_class": "geheim"},
        headers={"Authorization": catalog["sysadmin"]["token"]},
        status=409,
    )
    message = response.json["error"]["access_class"][0]
    assert "ist nicht zulässig" in message and "confidential" in message
