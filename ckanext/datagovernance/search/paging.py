"""Every match of a search, page by page: reports and lists built on search
must not stop at CKAN's ``ckan.search.rows_max`` (default 1,000)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict


def page_size() -> int:
    wanted = int(tk.config.get("ckanext.datagovernance.search.page_size") or 1000)
    rows_max = int(tk.config.get("ckan.search.rows_max") or 1000)
    return max(1, min(wanted, rows_max))


def search_all(context: Context, data_dict: DataDict) -> Iterator[dict[str, Any]]:
    """package_search's results for `data_dict`, all of them, in a stable
    order (the index breaks ties by its row id, so no row is skipped or
    repeated between pages of an unchanged index)."""
    size = page_size()
    sort = data_dict.get("sort") or "metadata_created asc"
    start = 0
    while True:
        found = tk.get_action("package_search")(dict(context), dict(
            data_dict, rows=size, start=start, sort=sort))
        yield from found["results"]
        start += len(found["results"])
        if not found["results"] or start >= found["count"]:
            return
