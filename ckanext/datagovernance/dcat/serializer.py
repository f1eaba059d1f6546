"""ckanext-dcat's serializer with its profile classes looked up once per
process.

``RDFProcessor.__init__`` resolves every profile name through
``importlib.metadata.entry_points``, which scans every installed package's
metadata: about a fifth of a warm ``/catalog.ttl`` page's CPU under load,
and 0.1-0.3 s per dataset for the quality score. The classes an entry point
names do not change while a process runs, so the first lookup is kept."""
from __future__ import annotations

from typing import Any

from ckanext.dcat.processors import RDFSerializer

_PROFILE_CLASSES: dict[tuple[str, ...], list[Any]] = {}


class DatagovernanceSerializer(RDFSerializer):
    def _load_profiles(self, profile_names: list[str]) -> list[Any]:
        key = tuple(profile_names)
        if key not in _PROFILE_CLASSES:
            _PROFILE_CLASSES[key] = super()._load_profiles(profile_names)
        return _PROFILE_CLASSES[key]


def serializer(profiles: list[str] | None = None) -> RDFSerializer:
    """A new serializer (its graph is per page or dataset), `profiles` None:
    the configured ones, as ckanext-dcat."""
    return DatagovernanceSerializer(profiles=profiles)
