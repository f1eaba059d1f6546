"""New inventory rows written together (issue 11).

``package_create`` saves one dataset with the ORM (package, tags, its
organisation membership), calls the plugins' create hooks (the suite's:
CKAN's ``private`` flag and the owner grant, with look-ups that find nothing
for a dataset that did not exist) and dictizes the dataset again for its
index document and activity: about 22 SQL statements per dataset. The
import has validated its new rows with the same create schema, so this
module writes what ``package_create`` writes for all of them with a few
statements per file: the package rows, the new tags, the package-tag rows,
the organisation memberships, the owner roles and their events (one
multi-row insert each), then reads the written packages back with one query.
Their ``package_show`` dicts are built from those objects and the rows just
written, exactly as ``package_dictize`` builds them; the show schemas, the
``after_dataset_show`` hooks, ``index_package`` (``before_dataset_index``,
permission labels) and the activity stay CKAN's and the suite's own.

The rules are not repeated here: ``private`` comes from the plugins' own
``create`` hooks, run on the new dataset before it is written; the owner
from ``roles/owner.owners_from_bulk_create`` (the same decision and grant
rule as ``after_dataset_create``). ``applies()`` says when the loaded plugins
have no create hook this path cannot reproduce; then (and for rows with
resources or groups) the import writes rows one by one.
``tests/inventory/test_write_path.py`` compares the result with
``package_create``.
"""
from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

import ckan.model as model
import ckan.plugins as p
import sqlalchemy as sa
from ckan import logic as ckan_logic
from ckan.lib import dictization as d
from ckan.types import Context

from ..roles import owner as roles_owner

_HOOKS_REPRODUCED = ("create", "read")  # other plugins' overrides need the stored object


def applies() -> bool:
    """Can new rows be written together under the loaded plugins? The
    suite's create hooks are reproduced; any other plugin must keep the
    interface's empty ``create``/``read`` (its ``after_dataset_create`` is
    called per row), and nothing may observe domain objects (no object
    passes through the session here)."""
    if any(True for _ in p.PluginImplementations(p.IDomainObjectModification)):
        return False
    for item in p.PluginImplementations(p.IPackageController):
        if _is_suite(item):
            continue
        if any(getattr(type(item), hook, None) is not getattr(p.IPackageController, hook)
               for hook in _HOOKS_REPRODUCED):
            return False
    return True


def supported(valid: dict[str, Any]) -> bool:
    """A validated row this path writes: no resources, groups or
    relationships (the inventory sheet has none)."""
    return not valid.get("resources") and not valid.get("groups") and not any(
        k.startswith("relationships_") for k in valid)


@dataclass
class Written:
    """The packages written, held (the session keeps clean objects only
    weakly) with their ``package_dictize`` dicts, by id."""
    packages: dict[str, model.Package] = field(default_factory=dict)
    dictized: dict[str, dict[str, Any]] = field(default_factory=dict)


def write(context: Context, rows: list[dict[str, Any]], user: model.User | None) -> Written:
    """Writes the validated new rows (create schema output) as
    ``package_create`` writes them; each row gets its ``id``. Raises what
    the owner grant raises (a refusal) or the database (a constraint): the
    caller rolls back its savepoint and writes the rows one by one."""
    model.Session.flush()  # earlier rows' ORM changes first (the inserts below bypass the session)
    packages, owners = [], {}
    hooks = list(p.PluginImplementations(p.IPackageController))
    for data in rows:
        owners_ref = data.pop(roles_owner.CONTEXT_KEY, "")
        if user is not None:
            data["creator_user_id"] = user.id
        pkg_row = _package_row(data, hooks)
        data["id"] = pkg_row["id"]
        owners[pkg_row["id"]] = owners_ref
        packages.append(pkg_row)
    names = [r["name"] for r in packages]
    # table_dict_save takes over the name of a deleted dataset by renaming it to its id
    renamed = model.Session.execute(sa.text(
        "UPDATE package SET name = id WHERE state = 'deleted' AND name = ANY(:names)"), {"names": names})
    if renamed.rowcount:  # a copy loaded before (the access-class guard's look-up) reads the new name
        taken = set(names)
        for obj in list(model.Session.identity_map.values()):
            if isinstance(obj, model.Package) and obj.name in taken:
                model.Session.expire(obj)
    model.Session.execute(sa.insert(model.package_table), packages)
    tags = _write_tags(rows)
    memberships = [{"id": _uuid(), "table_id": r["id"], "table_name": "package", "capacity": "organization",
                    "group_id": r["owner_org"], "state": "active"} for r in packages if r["owner_org"]]
    if memberships:
        model.Session.execute(sa.insert(model.member_table), memberships)
    roles_owner.owners_from_bulk_create(context, owners)
    vctx = dict(context, model=model, session=model.Session)
    for item in hooks:  # the suite's owner grant is done above; others (harvest) per row
        if type(item).after_dataset_create is not p.IPackageController.after_dataset_create \
                and not _is_suite(item):
            for data in rows:
                item.after_dataset_create(vctx, data)
    ids = [r["id"] for r in packages]
    loaded = {pkg.id: pkg for pkg in model.Session.scalars(sa.select(model.Package).where(model.Package.id.in_(ids)))}
    orgs = _organizations({r["owner_org"] for r in packages if r["owner_org"]})
    out = Written()
    for row in packages:
        pkg = loaded[row["id"]]
        out.packages[pkg.id] = pkg
        out.dictized[pkg.id] = _dictize(pkg, row["extras"], tags.get(pkg.id, []), orgs.get(pkg.owner_org or ""))
    return out


def _is_suite(item: Any) -> bool:
    # the suite's main plugin by its registered name (its hooks are the ones
    # reproduced here); importing plugin.py from here would be a cycle
    return getattr(item, "name", None) == "datagovernance"


def _uuid() -> str:
    return str(uuid.uuid4())


def _package_row(data: dict[str, Any], hooks: list[Any]) -> dict[str, Any]:
    """The package row ``package_dict_save`` and the create hooks leave:
    the columns set from the validated dict (those marked
    remove_if_not_provided blank otherwise), the columns' defaults, the
    times package_create sets, then the plugins' ``create`` hooks on the
    (transient) dataset."""
    values = {k: v for k, v in data.items() if k not in ("metadata_created", "plugin_data")}
    values["extras"] = {e["key"]: e["value"] for e in data.get("extras", [])}
    pkg = model.Package()
    pkg.from_dict(values)
    pkg.id = _uuid()
    now = datetime.datetime.utcnow()
    pkg.metadata_created = now
    if not data.get("metadata_modified"):
        pkg.metadata_modified = datetime.datetime.utcnow()
    for col in model.package_table.c:
        if getattr(pkg, col.name) is None and col.default is not None and col.name not in values \
                and not callable(col.default.arg):
            setattr(pkg, col.name, col.default.arg)
    for item in hooks:
        item.create(pkg)
    row = {col.name: getattr(pkg, col.name) for col in model.package_table.c}
    row["extras"] = dict(row["extras"]) if row["extras"] is not None else None
    return row


def _write_tags(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """package_tag_list_save for all rows: existing tags found with one
    query, missing ones added with one insert, the package-tag rows with one."""
    wanted: dict[str, list[tuple[str, str | None]]] = {}
    for data in rows:
        keys = list(dict.fromkeys((t.get("name"), t.get("vocabulary_id")) for t in data.get("tags") or []))
        if keys:
            wanted[data["id"]] = keys
    if not wanted:
        return {}
    names = {name for keys in wanted.values() for name, _v in keys}
    tag = model.tag_table
    found = {(r.name, r.vocabulary_id): r.id for r in model.Session.execute(
        sa.select(tag.c.id, tag.c.name, tag.c.vocabulary_id).where(tag.c.name.in_(names)))}
    new_tags = []
    for keys in wanted.values():
        for key in keys:
            if key not in found:
                found[key] = _uuid()
                new_tags.append({"id": found[key], "name": key[0], "vocabulary_id": key[1]})
    if new_tags:
        model.Session.execute(sa.insert(tag), new_tags)
    links, out = [], {}
    for pkg_id, keys in wanted.items():
        out[pkg_id] = []
        for name, vocab in keys:
            links.append({"id": _uuid(), "package_id": pkg_id, "tag_id": found[(name, vocab)], "state": "active"})
            out[pkg_id].append({"id": found[(name, vocab)], "name": name, "vocabulary_id": vocab, "state": "active"})
    model.Session.execute(sa.insert(model.package_tag_table), links)
    return out


def _organizations(ids: set[str]) -> dict[str, dict[str, Any]]:
    """The active organisations as package_dictize shows them (no extras)."""
    if not ids:
        return {}
    group = model.group_table
    ctx: Context = {"model": model, "session": model.Session}
    out = {}
    for row in model.Session.execute(sa.select(group).where(group.c.id.in_(ids), group.c.state == "active")):
        org = d.table_dictize(row, ctx)
        del org["extras"]
        out[org["id"]] = org
    return out


def _dictize(pkg: model.Package, extras: dict[str, str] | None, tags: list[dict[str, Any]],
             org: dict[str, Any] | None) -> dict[str, Any]:
    """``model_dictize.package_dictize`` of a dataset this module has just
    written, from the rows it wrote instead of six queries (the same keys in
    the same order; no resources, groups or relationships). The extras keep
    the order they were written in, as package_create's dataset, still in
    its session, shows them (one read back from JSONB has another order)."""
    ctx: Context = {"model": model, "session": model.Session}
    result = d.table_dictize(pkg, ctx)
    if result.get("title"):
        result["title"] = result["title"].strip()
    result.pop("plugin_data", None)
    result["resources"] = []
    result["num_resources"] = 0
    result["tags"] = sorted((dict(t, display_name=t["name"]) for t in tags if t["state"] == "active"),
                            key=lambda t: t["name"])
    result["num_tags"] = len(result["tags"])
    result["extras"] = [{"key": k, "value": v} for k, v in (extras or {}).items()]
    result["groups"] = []
    result["organization"] = dict(org) if org else None
    result["relationships_as_subject"] = []
    result["relationships_as_object"] = []
    result["isopen"] = pkg.isopen()
    result["type"] = pkg.type or "dataset"
    if pkg.license and pkg.license.url:
        result["license_url"] = pkg.license.url
        result["license_title"] = pkg.license.title.split("::")[-1]
    elif pkg.license:
        result["license_title"] = pkg.license.title
    else:
        result["license_title"] = pkg.license_id
    result["metadata_modified"] = pkg.metadata_modified.isoformat()
    result["metadata_created"] = pkg.metadata_created.isoformat() if pkg.metadata_created else None
    return result


def show_dicts(parent_context: Context, pkg: model.Package,
               dictized: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``logic.package_show_default_and_custom_schemas`` from the dictized
    dataset: the same context, auth check, show schemas and
    ``after_dataset_show`` hooks."""
    from ckan.lib.plugins import lookup_package_plugin, plugin_validate
    from ckan.logic.schema import default_show_package_schema

    context = ckan_logic.fresh_context(parent_context, ignore_auth=True, use_cache=False, validate=False)
    context = ckan_logic._prepopulate_context(context)  # what the action wrapper sets (user, model, session)
    context["session"] = model.Session
    context["package"] = pkg
    ckan_logic.check_access("package_show", context, {"id": pkg.id})
    pkg_dictized = dict(dictized)
    default_schema = default_show_package_schema()
    # its name check asks nothing for the dataset's own stored name (search/names.py)
    with_default, _errors = plugin_validate(object(), context, pkg_dictized, default_schema, "package_show")
    plugin = lookup_package_plugin(pkg_dictized["type"])
    custom_schema = plugin.show_package_schema()
    if custom_schema == default_schema:
        with_custom = with_default
    else:
        with_custom, _errors = plugin_validate(plugin, context, pkg_dictized, custom_schema, "package_show")
    ckan_logic.apply_after_dataset_show_plugins(context, with_custom)
    return with_default, with_custom
