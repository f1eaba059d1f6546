"""Controlled vocabularies shipped as JSON data in ``ckanext/datagovernance/vocab``.

Every file has the same shape::

    {"name": ..., "title": {"de": ..., "en": ...}, "source": ..., "version": ...,
     "licence": ..., "concepts": [{"value": ..., "code": ..., "label": {"de", "en"}, ...}]}

``value`` is what is stored in a dataset (an IRI for EU/dcat-ap.de vocabularies,
a short code for our own ones); ``code`` is an accepted short alias. Lookups are
case-insensitive for codes, exact for IRIs.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VOCAB_DIR = Path(__file__).resolve().parent.parent / "vocab"
LICENSES_FILE = VOCAB_DIR / "licenses.json"

# What a field's ``datagovernance_vocab`` may name.
VOCABULARIES = (
    "access-class",
    "access-right",
    "contributor",
    "data-theme",
    "file-type",
    "frequency",
    "geo-service-type",
    "hvd-category",
    "inspire-theme",
    "language",
    "personal-data",
    "political-geocoding-key",
    "political-geocoding-level",
    "publisher-type",
    "reason-not-open",
    "reference-system",
    "workflow-state",
)

HVD_LEGISLATION = "http://data.europa.eu/eli/reg_impl/2023/138/oj"


@dataclass
class Vocabulary:
    name: str
    title: dict[str, str]
    source: str
    version: str
    licence: str
    concepts: list[dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)
    _index: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for concept in self.concepts:
            self._index[concept["value"]] = concept
        for concept in self.concepts:
            for alias in self._aliases(concept):
                self._index.setdefault(alias, concept)

    @staticmethod
    def _aliases(concept: dict[str, Any]) -> list[str]:
        out = [concept["value"].lower()]
        if concept.get("code"):
            out.append(str(concept["code"]).lower())
        return out

    @property
    def values(self) -> list[str]:
        return [c["value"] for c in self.concepts]

    def get(self, value: Any) -> dict[str, Any] | None:
        """The concept for a stored value, a code or an IRI (or None)."""
        if not isinstance(value, str):
            return None
        value = value.strip()
        return self._index.get(value) or self._index.get(value.lower())

    def normalize(self, value: Any) -> str | None:
        concept = self.get(value)
        return concept["value"] if concept else None

    def label(self, value: Any, lang: str = "de") -> str:
        concept = self.get(value)
        if not concept:
            return str(value)
        labels = concept.get("label") or {}
        return labels.get(lang) or labels.get("en") or labels.get("de") or concept["value"]

    def short(self, value: str) -> str:
        """The short form shown in error messages (code if there is one)."""
        concept = self.get(value) or {}
        return str(concept.get("code") or value)

    def choices(self, lang: str | None = None) -> list[dict[str, Any]]:
        """scheming choices: label stays a {de, en} dict unless lang is given."""
        return [
            {"value": c["value"], "label": c["label"][lang] if lang else c["label"]}
            for c in self.concepts
        ]


class FileTypeVocabulary(Vocabulary):
    """EU file types: stored as the authority code (``CSV``), accepted as code,
    IRI, file extension or media type."""

    def __post_init__(self) -> None:
        for concept in self.concepts:
            concept["iri"] = concept["value"]
            concept["value"] = concept["code"]
        super().__post_init__()
        for concept in self.concepts:
            for ext in concept.get("extensions", []):
                self._index.setdefault(ext.lower(), concept)
                self._index.setdefault("." + ext.lower(), concept)
            for media_type in concept.get("media_types", []):
                self._index.setdefault(media_type.lower(), concept)
            self._index.setdefault(concept["iri"].lower(), concept)
            for lang_label in concept["label"].values():
                self._index.setdefault(lang_label.lower(), concept)


class HvdVocabulary(Vocabulary):
    def is_leaf(self, value: str) -> bool:
        concept = self.get(value)
        return bool(concept) and not concept.get("narrower")

    def top_concept(self, value: str) -> dict[str, Any] | None:
        concept = self.get(value)
        while concept and concept.get("broader"):
            concept = self.get(concept["broader"][0])
        return concept


_CLASSES: dict[str, type[Vocabulary]] = {
    "file-type": FileTypeVocabulary,
    "hvd-category": HvdVocabulary,
}


@functools.cache
def get_vocabulary(name: str) -> Vocabulary:
    if name not in VOCABULARIES:
        raise KeyError(f"unknown vocabulary: {name}")
    data = json.loads((VOCAB_DIR / f"{name}.json").read_text(encoding="utf-8"))
    concepts = data.pop("concepts")
    cls = _CLASSES.get(name, Vocabulary)
    return cls(
        name=name,
        title=data.pop("title", {"de": name, "en": name}),
        source=data.pop("source", ""),
        version=str(data.pop("version", "")),
        licence=data.pop("licence", ""),
        concepts=concepts,
        meta=data,
    )


@functools.lru_cache(maxsize=1)
def get_licenses() -> list[dict[str, Any]]:
    """The dcat-ap.de licence list exactly as CKAN's licence register reads it."""
    return json.loads(LICENSES_FILE.read_text(encoding="utf-8"))


def licenses_url() -> str:
    """``licenses_group_url`` value pointing at the shipped licence list."""
    return LICENSES_FILE.as_uri()
