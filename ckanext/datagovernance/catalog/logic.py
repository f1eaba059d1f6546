"""Read-only actions of the catalog: the shipped vocabularies for API clients."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Action, AuthFunction, AuthResult, Context, DataDict

from . import vocab as v


@tk.side_effect_free
def datagovernance_vocabulary_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The controlled vocabularies of the catalog with source and version."""
    tk.check_access("datagovernance_vocabulary_list", context, data_dict)
    out = []
    for name in v.VOCABULARIES:
        vocab = v.get_vocabulary(name)
        out.append({"name": name, "title": vocab.title, "source": vocab.source,
                    "version": vocab.version, "licence": vocab.licence,
                    "count": len(vocab.concepts)})
    return out


@tk.side_effect_free
def datagovernance_vocabulary_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """One vocabulary with all its values.

    :param id: vocabulary name, e.g. ``data-theme`` (see datagovernance_vocabulary_list)
    """
    tk.check_access("datagovernance_vocabulary_show", context, data_dict)
    name = tk.get_or_bust(data_dict, "id")
    if name not in v.VOCABULARIES:
        raise tk.ObjectNotFound(tk._("Vocabulary not found"))
    vocab = v.get_vocabulary(name)
    return {"name": name, "title": vocab.title, "source": vocab.source,
            "version": vocab.version, "licence": vocab.licence,
            "concepts": vocab.concepts}


@tk.auth_allow_anonymous_access
def _allow(context: Context, data_dict: DataDict | None) -> AuthResult:
    return {"success": True}


def get_actions() -> dict[str, Action]:
    return {
        "datagovernance_vocabulary_list": datagovernance_vocabulary_list,
        "datagovernance_vocabulary_show": datagovernance_vocabulary_show,
    }


def get_auth_functions() -> dict[str, AuthFunction]:
    return {
        "datagovernance_vocabulary_list": _allow,
        "datagovernance_vocabulary_show": _allow,
    }
