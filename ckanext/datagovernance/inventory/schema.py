"""Validator schemas for the inventory actions' input."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import Schema


def import_schema() -> Schema:
    v = tk.get_validator
    return {
        "dry_run": [v("default")(False), v("boolean_validator")],
        "partial": [v("default")(False), v("boolean_validator")],
        "filename": [v("ignore_missing"), v("unicode_safe")],
        # None: a background job above the configured number of rows
        "background": [v("ignore_missing"), v("boolean_validator")],
        "__extras": [v("ignore")],
    }


def job_schema() -> Schema:
    v = tk.get_validator
    return {"id": [v("not_empty"), v("unicode_safe")], "__extras": [v("ignore")]}


def export_schema() -> Schema:
    v = tk.get_validator
    return {
        "format": [v("default")("json"), v("unicode_safe"), v("one_of")(["json", "csv", "xlsx"])],
        "template": [v("default")(False), v("boolean_validator")],
        "__extras": [v("ignore")],
    }
