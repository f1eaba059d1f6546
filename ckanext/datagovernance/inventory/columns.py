"""The inventory's columns, derived from the scheming schema ``dataset``.

Every schema field is a column, headed by its German label (the English label
and the field name are accepted too). A column knows how to turn a cell into
the value the dataset actions take (``parse``) and a stored value back into a
cell (``format``); ``canonical`` gives both sides one comparable form, so an
unchanged row is recognised without calling an action.

People, organisations and domains are resolved by display name, e-mail, name
or id through a :class:`Resolver` that loads each directory once per import.
"""
from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

import ckan.model as model
import sqlalchemy as sa

from ..catalog import vocab as v
from ..roles import service as roles
from .messages import Msg

# Fields that are derived or owned by another process: shown in the export,
# never written by an import.
READ_ONLY = ("workflow_state",)
SKIPPED = ("access_rights",)
# Several values in one cell: "a; b" (also one per line); tags also by comma.
_SPLIT = re.compile(r"[;\n]")
_TAG_SPLIT = re.compile(r"[;,\n]")
TRUE = {"ja", "yes", "true", "wahr", "1", "x", "j", "y"}
FALSE = {"nein", "no", "false", "falsch", "0", "n"}


class CellError(Exception):
    def __init__(self, msg: Msg):
        super().__init__(msg.en)
        self.msg = msg


@dataclass
class Column:
    field: str
    label_de: str
    label_en: str
    kind: str  # text tags vocab vocabs org domain user date bool list license readonly
    vocab: str | None = None
    required: bool = False

    @property
    def header(self) -> str:
        return self.label_de

    @property
    def writable(self) -> bool:
        return self.kind != "readonly"


def _label(field: dict[str, Any], lang: str) -> str:
    label = field.get("label") or field["field_name"]
    return label.get(lang) or label.get("en") or field["field_name"] if isinstance(label, dict) else str(label)


def _kind(field: dict[str, Any]) -> str:
    name, preset = field["field_name"], field.get("preset")
    if name in READ_ONLY:
        return "readonly"
    special = {"tag_string": "tags", "owner_org": "org", "domain": "domain", "data_owner": "user",
               "license_id": "license"}
    if name in special:
        return special[name]
    if preset == "datagovernance_multiple_select":
        return "vocabs"
    if field.get("datagovernance_vocab"):
        return "vocab"
    if preset == "date":
        return "date"
    if preset == "datagovernance_boolean":
        return "bool"
    if preset == "multiple_text":
        return "list"
    return "text"


def dataset_columns(dataset_type: str = "dataset") -> list[Column]:
    from ckanext.scheming.helpers import scheming_get_dataset_schema

    schema = scheming_get_dataset_schema(dataset_type)
    cols = []
    for field in schema["dataset_fields"]:
        if field["field_name"] in SKIPPED:
            continue
        cols.append(Column(
            field=field["field_name"], label_de=_label(field, "de"), label_en=_label(field, "en"),
            kind=_kind(field), vocab=field.get("datagovernance_vocab"),
            required=bool(field.get("required")),
        ))
    # the inventory number first: it is the key of a row
    cols.sort(key=lambda c: c.field != "inventory_id")
    return cols


def _norm_header(text: str) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().casefold()


def match_headers(headers: list[str], columns: list[Column]) -> tuple[dict[int, Column], list[tuple[int, str]]]:
    """Which file column is which schema column; the unknown headers."""
    index: dict[str, Column] = {}
    for col in columns:
        for alias in (col.label_de, col.label_en, col.field):
            index.setdefault(_norm_header(alias), col)
    found: dict[int, Column] = {}
    unknown: list[tuple[int, str]] = []
    for i, header in enumerate(headers):
        if not _norm_header(header):
            continue
        col = index.get(_norm_header(header))
        if col is None or col in found.values():
            unknown.append((i, header))
        else:
            found[i] = col
    return found, unknown


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%d.%m.%Y")
    return str(value).strip()


def _split(text: str, pattern: re.Pattern[str] = _SPLIT) -> list[str]:
    return [t.strip() for t in pattern.split(text) if t.strip()]


def _candidates(items: list[str], limit: int = 8) -> str:
    return ", ".join(items[:limit]) + (" …" if len(items) > limit else "")


class Resolver:
    """Directories (users, organisations, domains, licences, vocabulary labels)
    loaded once per import: look-ups cost a dict access, not a query."""

    def __init__(self) -> None:
        self.users = model.Session.scalars(sa.select(model.User).where(model.User.state == "active")).all()
        groups = model.Session.scalars(sa.select(model.Group).where(model.Group.state == "active")).all()
        self.orgs = [g for g in groups if g.is_organization]
        self.domains = [g for g in groups if not g.is_organization and g.type == roles.DOMAIN_GROUP_TYPE]
        self.user_by_id = {u.id: u for u in self.users}
        self.user_by_name = {u.name: u for u in self.users}
        self.org_by_id = {g.id: g for g in self.orgs}
        self.domain_by_name = {g.name: g for g in self.domains}
        self._user_index = self._index(self.users, lambda u: (u.id, u.name, u.email or "", u.fullname or ""))
        self._org_index = self._index(self.orgs, lambda g: (g.id, g.name, g.title or ""))
        self._domain_index = self._index(self.domains, lambda g: (g.id, g.name, g.title or ""))
        self._title_count: dict[str, int] = {}
        for u in self.users:
            key = (u.fullname or "").casefold()
            self._title_count["u:" + key] = self._title_count.get("u:" + key, 0) + 1
        for g in groups:
            key = (g.title or "").casefold()
            self._title_count["g:" + key] = self._title_count.get("g:" + key, 0) + 1
        self.licenses = {lic["id"]: lic for lic in v.get_licenses()}
        self._license_index: dict[str, str] = {}
        for lic in self.licenses.values():
            for alias in (lic["id"], lic.get("title"), lic.get("title_en"), lic.get("url")):
                if alias:
                    self._license_index.setdefault(str(alias).casefold(), lic["id"])
        self._labels: dict[str, dict[str, str]] = {}

    @staticmethod
    def _index(items: list[Any], keys: Any) -> dict[str, list[Any]]:
        index: dict[str, list[Any]] = {}
        for item in items:
            for key in {k.casefold() for k in keys(item) if k}:
                index.setdefault(key, []).append(item)
        return index

    def _find(self, index: dict[str, list[Any]], text: str, describe: Any, names: list[str], what: Msg) -> Any:
        hits = index.get(text.casefold(), [])
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise CellError(Msg("Ambiguous {what} \"{value}\": candidates {candidates}", what=what, value=text,
                                candidates=_candidates([describe(h) for h in hits])))
        close = difflib.get_close_matches(text, names, n=5, cutoff=0.6)
        if close:
            raise CellError(Msg("Unknown {what} \"{value}\"; did you mean: {candidates}", what=what, value=text,
                                candidates=_candidates(close)))
        raise CellError(Msg("Unknown {what} \"{value}\"", what=what, value=text))

    def user(self, text: str) -> model.User:
        return self._find(self._user_index, text, lambda u: f"{u.fullname or u.name} ({', '.join(x for x in (u.name, u.email) if x)})",
                          [u.fullname or u.name for u in self.users], Msg.noun("person"))

    def org(self, text: str) -> model.Group:
        return self._find(self._org_index, text, lambda g: f"{g.title} ({g.name})",
                          [g.title or g.name for g in self.orgs], Msg.noun("organisation"))

    def domain(self, text: str) -> model.Group:
        return self._find(self._domain_index, text, lambda g: f"{g.title} ({g.name})",
                          [g.title or g.name for g in self.domains], Msg.noun("data domain"))

    def license(self, text: str) -> str:
        found = self._license_index.get(text.casefold())
        if found:
            return found
        close = difflib.get_close_matches(text, [lic["title"] for lic in self.licenses.values()], n=5, cutoff=0.5)
        raise CellError(Msg("Unknown licence \"{value}\"; allowed: {candidates}", value=text,
                            candidates=_candidates(close or list(self.licenses), 12)))

    def concept(self, name: str, text: str) -> str:
        vocab = v.get_vocabulary(name)
        concept = vocab.get(text)
        if concept is None:
            labels = self._labels.get(name)
            if labels is None:
                labels = self._labels[name] = {}
                for c in vocab.concepts:
                    for lab in (c.get("label") or {}).values():
                        labels.setdefault(str(lab).casefold(), c["value"])
                    for lab in (c.get("label") or {}).values():
                        # "Intern" for "Intern (gesamte Verwaltung)"
                        labels.setdefault(str(lab).split(" (")[0].strip().casefold(), c["value"])
            found = labels.get(text.casefold())
            if found:
                return found
            choices = [vocab.label(c["value"], "de") for c in vocab.concepts]
            close = difflib.get_close_matches(text, choices, n=5, cutoff=0.5) if len(choices) > 15 else choices
            raise CellError(Msg("Value \"{value}\" is not allowed; allowed: {candidates}", value=text,
                                candidates=_candidates(close, 15)))
        return concept["value"]

    # display forms for the export: unique names, else the unambiguous name
    def user_cell(self, ref: str) -> str:
        user = self.user_by_id.get(ref) or model.User.get(ref)
        if user is None:
            return ref
        if user.fullname and self._title_count.get("u:" + user.fullname.casefold()) == 1 \
                and len(self._user_index.get(user.fullname.casefold(), [])) == 1:
            return user.fullname
        return user.name

    def group_cell(self, group: model.Group | None, ref: str) -> str:
        if group is None:
            return ref or ""
        index = self._org_index if group.is_organization else self._domain_index
        if group.title and len(index.get(group.title.casefold(), [])) == 1:
            return group.title
        return group.name


def parse(col: Column, raw: Any, res: Resolver) -> Any:
    """Cell -> value for package_create/patch ("" clears the field)."""
    text = _text(raw)
    kind = col.kind
    if kind in ("text", "readonly"):
        return text
    if not text:
        return [] if kind in ("vocabs", "list", "tags") else ""
    if kind == "tags":
        return sorted(set(_split(text, _TAG_SPLIT)))
    if kind == "vocab":
        return res.concept(col.vocab or "", text)
    if kind == "vocabs":
        return sorted({res.concept(col.vocab or "", part) for part in _split(text)})
    if kind == "list":
        return _split(text)
    if kind == "org":
        return res.org(text).id
    if kind == "domain":
        return res.domain(text).name
    if kind == "user":
        return res.user(text).name
    if kind == "license":
        return res.license(text)
    if kind == "bool":
        low = text.casefold()
        if low in TRUE:
            return "true"
        if low in FALSE:
            return "false"
        raise CellError(Msg("\"{value}\" is not yes or no (Ja/Nein)", value=text))
    if kind == "date":
        if isinstance(raw, (dt.datetime, dt.date)):
            return raw.strftime("%Y-%m-%d")
        for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y"):
            try:
                return dt.datetime.strptime(text, fmt).strftime("%Y-%m-%d")
            except ValueError:
                continue
        raise CellError(Msg("\"{value}\" is not a date (DD.MM.YYYY)", value=text))
    return text


def current(col: Column, pkg: dict[str, Any]) -> Any:
    """The dataset's value in the form ``parse`` returns."""
    kind, value = col.kind, pkg.get(col.field)
    if kind == "tags":
        return sorted({t["name"] for t in pkg.get("tags") or []})
    if kind in ("vocabs", "list"):
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.startswith("[") else [value]
            except ValueError:
                value = [value]
        items = [str(x) for x in value or []]
        return sorted(items) if kind == "vocabs" else items
    if kind == "bool":
        if value in (None, ""):
            return ""
        return "true" if value in (True, "true", "True") else "false"
    if kind == "date" and value:
        return str(value)[:10]
    if kind == "org":
        return pkg.get("owner_org") or ""
    return "" if value is None else str(value)


def same(col: Column, wanted: Any, pkg: dict[str, Any]) -> bool:
    have = current(col, pkg)
    if col.field == "applicable_legislation" and pkg.get("hvd_category"):
        # the schema adds the HVD regulation itself
        wanted = list(wanted) + ([v.HVD_LEGISLATION] if v.HVD_LEGISLATION not in wanted else [])
        return sorted(wanted) == sorted(have)
    return wanted == have


def to_data_dict(col: Column, value: Any) -> dict[str, Any]:
    if col.kind == "tags":
        return {"tags": [{"name": t} for t in value]}
    return {col.field: value}


def format_cell(col: Column, pkg: dict[str, Any], res: Resolver) -> str:
    """Stored value -> cell text of the export (German labels, names)."""
    value = current(col, pkg)
    kind = col.kind
    if kind == "tags":
        return ", ".join(value)
    if kind == "vocabs":
        vocab = v.get_vocabulary(col.vocab or "")
        return "; ".join(vocab.label(x, "de") for x in value)
    if kind == "list":
        return "; ".join(value)
    if not value:
        return ""
    if kind in ("vocab", "readonly") and col.vocab:
        return v.get_vocabulary(col.vocab).label(value, "de")
    if kind == "bool":
        return "Ja" if value == "true" else "Nein"
    if kind == "date":
        try:
            return dt.date.fromisoformat(value).strftime("%d.%m.%Y")
        except ValueError:
            return value
    if kind == "org":
        return res.group_cell(res.org_by_id.get(value), value)
    if kind == "domain":
        return res.group_cell(res.domain_by_name.get(value) or roles.get_domain(value), value)
    if kind == "user":
        user = res.user_by_name.get(value) or res.user_by_id.get(value)
        return res.user_cell(user.id) if user else value
    if kind == "license":
        lic = res.licenses.get(value)
        return lic["title"] if lic else value
    return value
