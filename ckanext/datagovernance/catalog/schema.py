"""Schema composition: a dataset type that extends another one.

``schemas/geodataset.yaml`` starts with the YAML tag ``!datagovernance_extends``.
When ckanext-scheming reads that file (``yaml.safe_load``), the tag's
constructor loads the base schema named in ``extends`` and returns it with the
add-on's keys applied, so scheming sees one complete schema and nothing of
the base is copied into the add-on file:

- top-level keys of the add-on (``dataset_type``, ``about``, ...) replace the base ones;
- ``dataset_fields``/``resource_fields`` are added after the base field named
  in ``insert_dataset_fields_after``/``insert_resource_fields_after`` (default:
  at the end); an add-on field with the name of a base field replaces it.
"""
from __future__ import annotations

import copy
import importlib
from pathlib import Path
from typing import Any

import yaml

EXTENDS_TAG = "!datagovernance_extends"


def _schema_path(ref: str) -> Path:
    """``package.module:relative/path.yaml`` -> file path (scheming's convention)."""
    module_name, _sep, rel = ref.partition(":")
    module = importlib.import_module(module_name)
    return Path(module.__file__ or "").parent / rel


def load_schema(ref: str) -> dict[str, Any]:
    with _schema_path(ref).open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def _merge_fields(base: list[dict[str, Any]], addon: list[dict[str, Any]],
                  after: str | None) -> list[dict[str, Any]]:
    by_name = {f["field_name"]: f for f in addon}
    merged = [by_name.pop(f["field_name"], f) for f in base]
    new = [f for f in addon if f["field_name"] in by_name]
    if after:
        for i, f in enumerate(merged):
            if f["field_name"] == after:
                return merged[: i + 1] + new + merged[i + 1:]
        raise ValueError(f"{EXTENDS_TAG}: no base field {after!r} to insert after")
    return merged + new


def extend_schema(addon: dict[str, Any]) -> dict[str, Any]:
    """The base schema named in ``addon["extends"]`` with the add-on applied."""
    addon = dict(addon)
    base = copy.deepcopy(load_schema(addon.pop("extends")))
    for group in ("dataset_fields", "resource_fields", "fields"):
        after = addon.pop(f"insert_{group}_after", None)
        if group in addon:
            base[group] = _merge_fields(base.get(group, []), addon.pop(group), after)
    base.update(addon)
    return base


def _construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    if not isinstance(node, yaml.MappingNode):
        raise yaml.constructor.ConstructorError(
            None, None, f"{EXTENDS_TAG} must tag a mapping", node.start_mark)
    return extend_schema(loader.construct_mapping(node, deep=True))


def register_yaml_tag() -> None:
    """Teach ``yaml.safe_load`` the tag (idempotent; namespaced, so it changes
    nothing for other YAML documents)."""
    if EXTENDS_TAG not in yaml.SafeLoader.yaml_constructors:
        yaml.add_constructor(EXTENDS_TAG, _construct, Loader=yaml.SafeLoader)
