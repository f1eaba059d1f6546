"""Links and menu items kept per process (chained CKAN helpers).

Every page builds ~60-80 links with CKAN's url_for (~55 µs each: the Flask
router, then CKAN's locale and root rewriting) and ~10 menu items (~300
Python calls each: the link, its "active" test and the markup); most are the
same on every page (menus, header, footer, facets). A link is a function of
its arguments, the app's routes and what the rewriting reads: the request's
language, script root and host, and four settings; a menu item also of the
request's endpoint (which item is active). They are kept with the app's
routes (one process, bounded); anything else (objects as values, an item
with an auth function, no request) asks CKAN."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from flask import current_app, request
from markupsafe import Markup

_MAX = 8192
_SETTINGS = ("ckan.site_url", "ckan.root_path", "ckan.locales_offered", "ckan.locale_default")
_WHERE = "datagovernance.links"  # the request's part of the keys, kept in its environ
_SCALARS = (str, int, float, bool)


def _where() -> tuple[tuple[Any, ...], dict[tuple[Any, ...], Any], str | None] | None:
    """The request's part of a key, the kept links, the request's endpoint;
    None without a request. Read once per request."""
    try:
        env = request._get_current_object().environ  # type: ignore[attr-defined]
    except RuntimeError:
        return None
    where = env.get(_WHERE)
    if where is None:
        where = env[_WHERE] = (
            (env.get("CKAN_LANG"), env.get("CKAN_LANG_IS_DEFAULT", True), env.get("SCRIPT_NAME"), request.host,
             tuple([str(tk.config.get(k, None)) for k in _SETTINGS])),
            current_app.url_map.__dict__.setdefault("_datagovernance_links", {}),
            request.endpoint)
    return where


def _scalar_items(kw: dict[str, Any]) -> tuple[Any, ...] | None:
    """The keyword arguments as a key (with the values' types: True and 1
    are equal keys but different links); None if one is not a scalar."""
    for v in kw.values():
        if v is not None and not isinstance(v, _SCALARS):
            return None
    return tuple([(k, v, type(v)) for k, v in sorted(kw.items())]) if kw else ()


def _kept(links: dict[tuple[Any, ...], Any], key: tuple[Any, ...], make: Any) -> Any:
    value = links.get(key)
    if value is None:
        value = make()
        if len(links) >= _MAX:  # bounded: start over rather than grow
            links.clear()
        links[key] = value
    return value


@tk.chained_helper
def url_for(next_helper: Any, *args: Any, **kw: Any) -> Any:
    where = _where()
    items = _scalar_items(kw) if where is not None else None
    if items is None or not all(v is None or isinstance(v, _SCALARS) for v in args):
        return next_helper(*args, **kw)
    return _kept(where[1], (args, items, where[0]), lambda: next_helper(*args, **kw))


def _menu_key(items: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """build_nav_main's items as a key: (route, title[, highlighted blueprints]);
    None if an item has an auth function (decided per user) or an object."""
    key = []
    for item in items:
        if not isinstance(item, tuple) or len(item) > 3:
            return None
        if len(item) == 3 and item[2] is not None and (
                not isinstance(item[2], (list, tuple)) or not all(isinstance(c, str) for c in item[2])):
            return None
        route, title = item[0], item[1]
        if not isinstance(route, str) or not isinstance(title, str):
            return None
        key.append((route, title, type(title), tuple(item[2]) if len(item) == 3 and item[2] else ()))
    return tuple(key)


@tk.chained_helper
def build_nav_main(next_helper: Any, *args: Any) -> Markup:
    where = _where()
    menu = _menu_key(args) if where is not None else None
    if menu is None:
        return next_helper(*args)
    return _kept(where[1], ("build_nav_main", menu, where[2], where[0]), lambda: next_helper(*args))


@tk.chained_helper
def build_nav_icon(next_helper: Any, menu_item: str, title: str, **kw: Any) -> Markup:
    where = _where()
    items = _scalar_items(kw) if where is not None else None
    if items is None or not isinstance(title, str):
        return next_helper(menu_item, title, **kw)
    return _kept(where[1], ("build_nav_icon", menu_item, title, type(title), items, where[2], where[0]),
                 lambda: next_helper(menu_item, title, **kw))


def get_helpers() -> dict[str, Any]:
    return {"url_for": url_for, "build_nav_main": build_nav_main, "build_nav_icon": build_nav_icon}
