"""The score of one dataset: its own DCAT-AP.de graph (the ``dcat_ap_de``
profile chain the feeds use), the SHACL verdict of that graph and the stored
link-check results, evaluated by ``indicators``."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from rdflib import Graph

from . import indicators, model

PROFILES = ["euro_dcat_ap_3", "dcat_ap_de"]


def site_context() -> dict[str, Any]:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"], "ignore_auth": True}


def _serializer() -> Any:
    from ..dcat.serializer import serializer

    return serializer(PROFILES)


def dataset_graph(pkg_dict: dict[str, Any]) -> tuple[Graph, Any]:
    serializer = _serializer()
    ref = serializer.graph_from_dataset(pkg_dict)
    return serializer.g, ref


def shacl_conforms(graph: Graph) -> bool:
    from ..dcat.validation import validate_graph

    return bool(validate_graph(graph)["conforms"])


def link_states(package_id: str) -> dict[str, bool | None]:
    return {url: row.ok for url, row in model.latest_links(package_id).items()}


def compute(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """Evaluate `pkg_dict` (a full package_show dict) now; nothing stored."""
    graph, ref = dataset_graph(pkg_dict)
    conforms = shacl_conforms(graph)
    result = indicators.evaluate(graph, ref, shacl_conforms=conforms, links=link_states(pkg_dict["id"]))
    result["shacl_conforms"] = conforms
    return result


def hvd_compliant(pkg_dict: dict[str, Any], shacl_conforms: bool) -> bool | None:
    """High-value datasets: the workflow's HVD gate and the (HVD) shapes pass."""
    from ..workflow import gates

    if not pkg_dict.get("hvd_category"):
        return None
    return shacl_conforms and not gates.hvd(pkg_dict)


def urls(pkg_dict: dict[str, Any]) -> list[str]:
    """The access and download URLs the graph publishes (what the job checks)."""
    from rdflib.namespace import DCAT

    graph, ref = dataset_graph(pkg_dict)
    found = []
    for dist in graph.objects(ref, DCAT.distribution):
        for pred in (DCAT.accessURL, DCAT.downloadURL):
            found.extend(str(u) for u in graph.objects(dist, pred))
    return list(dict.fromkeys(found))
