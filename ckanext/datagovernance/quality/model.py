"""Quality tables (migration/datagovernance 005): scores with their history
and link-check results with theirs. No foreign keys into CKAN core."""
from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped

from .. import page_facts, prefetch, request_memo
from ..model_base import new_id as _uuid
from ..model_base import utcnow as _now


class QualityScore(tk.BaseModel):  # type: ignore[misc,valid-type]
    """One computed score of one dataset. A new row only when the result
    changes (the history); `checked_at` says when it was last confirmed."""

    __table__ = sa.Table(
        "datagovernance_quality_score",
        tk.BaseModel.metadata,
        sa.Column("id", sa.UnicodeText, primary_key=True, default=_uuid),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("band", sa.UnicodeText, nullable=False),
        sa.Column("dimensions", JSONB, nullable=False),
        sa.Column("indicators", JSONB, nullable=False),
        sa.Column("shacl_conforms", sa.Boolean),
        sa.Column("hvd_compliant", sa.Boolean),  # None: not a high-value dataset
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False, default=_now),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False, default=_now),
        extend_existing=True,
    )
    id: Mapped[str]
    package_id: Mapped[str]
    score: Mapped[int]
    band: Mapped[str]
    dimensions: Mapped[Any]
    indicators: Mapped[Any]
    shacl_conforms: Mapped[bool | None]
    hvd_compliant: Mapped[bool | None]
    computed_at: Mapped[dt.datetime]
    checked_at: Mapped[dt.datetime]


class QualityCurrent(tk.BaseModel):  # type: ignore[misc,valid-type]
    """The newest score per dataset, one row each: what the search index, the
    dashboard's aggregates and HVD compliance join on."""

    __table__ = sa.Table(
        "datagovernance_quality_current",
        tk.BaseModel.metadata,
        sa.Column("package_id", sa.UnicodeText, primary_key=True),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("band", sa.UnicodeText, nullable=False),
        sa.Column("hvd_compliant", sa.Boolean),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False, default=_now),
        extend_existing=True,
    )
    package_id: Mapped[str]
    score: Mapped[int]
    band: Mapped[str]
    hvd_compliant: Mapped[bool | None]
    computed_at: Mapped[dt.datetime]


class LinkCheck(tk.BaseModel):  # type: ignore[misc,valid-type]
    """One HTTP check of one URL of a dataset (every check is kept)."""

    __table__ = sa.Table(
        "datagovernance_link_check",
        tk.BaseModel.metadata,
        sa.Column("id", sa.UnicodeText, primary_key=True, default=_uuid),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("url", sa.UnicodeText, nullable=False),
        sa.Column("ok", sa.Boolean),  # None: not checked (host not allowed)
        sa.Column("status_code", sa.Integer),
        sa.Column("error", sa.UnicodeText),
        sa.Column("elapsed_ms", sa.Integer),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False, default=_now),
        extend_existing=True,
    )
    id: Mapped[str]
    package_id: Mapped[str]
    url: Mapped[str]
    ok: Mapped[bool | None]
    status_code: Mapped[int | None]
    error: Mapped[str | None]
    elapsed_ms: Mapped[int | None]
    checked_at: Mapped[dt.datetime]


def latest_score(package_id: str) -> QualityScore | None:
    return prefetch.known("latest_score", package_id, lambda: model.Session.scalars(
        sa.select(QualityScore).where(QualityScore.package_id == package_id)
        .order_by(QualityScore.computed_at.desc()).limit(1)
    ).first())


def prefetch_latest_scores(package_ids: list[str]) -> None:
    """latest_score of many datasets for a prefetch.scope(): one query."""
    if not prefetch.active() or not package_ids:
        return
    latest: dict[str, QualityScore | None] = dict.fromkeys(package_ids)
    for row in model.Session.scalars(
            sa.select(QualityScore).where(QualityScore.package_id.in_(package_ids))
            .order_by(QualityScore.package_id, QualityScore.computed_at.desc())
            .distinct(QualityScore.package_id)):
        latest[row.package_id] = row
    prefetch.put("latest_score", latest)


def score_history(package_id: str, limit: int = 50) -> list[QualityScore]:
    return list(model.Session.scalars(
        sa.select(QualityScore).where(QualityScore.package_id == package_id)
        .order_by(QualityScore.computed_at.desc()).limit(limit)))


# the newest score of a dataset, as one JSON value (what the quality panel
# and the show action display; read alone by ``shown_score`` or with the
# dataset page's other facts). Writers use ``latest_score``: its row is the
# session's, which they update.
_SHOWN_SCORE = f"""(SELECT row_to_json(q) FROM (
    SELECT id, package_id, score, band, dimensions, indicators, shacl_conforms, hvd_compliant, computed_at,
           checked_at FROM {QualityScore.__table__.name} WHERE package_id = :pkg
     ORDER BY computed_at DESC LIMIT 1) q)"""


def _remember_score(pkg: model.Package, value: dict[str, Any] | None) -> QualityScore | None:
    row = None
    if value is not None:  # a copy for display, not in the session
        row = QualityScore(**dict(value, computed_at=page_facts.time(value["computed_at"]),
                                  checked_at=page_facts.time(value["checked_at"])))
    request_memo.put("quality_shown_score", pkg.id, row)
    return row


SHOWN_SCORE = page_facts.Part(_SHOWN_SCORE, _remember_score, memo=lambda pkg: ("quality_shown_score", pkg.id))


def shown_score(pkg: model.Package) -> QualityScore | None:
    """The newest score for display (not to be changed), once per request."""
    return request_memo.remembered("quality_shown_score", pkg.id,
                                   lambda: page_facts.read_together(pkg, [SHOWN_SCORE])[0])


# the newest check of each URL of a dataset, as one JSON value (read alone
# by ``latest_links`` or with the dataset page's other facts)
_LATEST_LINKS = f"""(SELECT coalesce(json_agg(l ORDER BY l.url), '[]') FROM (
    SELECT DISTINCT ON (url) id, package_id, url, ok, status_code, error, elapsed_ms, checked_at
      FROM {LinkCheck.__table__.name} WHERE package_id = :pkg ORDER BY url, checked_at DESC) l)"""


def _remember_links(pkg: model.Package, value: list[dict[str, Any]]) -> dict[str, LinkCheck]:
    # copies for display and decisions, not in the session
    found = {r["url"]: LinkCheck(**dict(r, checked_at=page_facts.time(r["checked_at"]))) for r in value}
    request_memo.put("quality_latest_links", pkg.id, found)
    return found


LATEST_LINKS = page_facts.Part(_LATEST_LINKS, _remember_links, memo=lambda pkg: ("quality_latest_links", pkg.id))


def latest_links(package_id: str) -> dict[str, LinkCheck]:
    """The newest check of each URL of the dataset (once per request: the
    quality panel asks for them and for the time of the last check)."""
    def read() -> dict[str, LinkCheck]:
        pkg = model.Package.get(package_id)  # by id: the session's copy, no query
        return page_facts.read_together(pkg, [LATEST_LINKS])[0] if pkg is not None else {}

    return dict(request_memo.remembered("quality_latest_links", package_id, read))


def link_history(package_id: str, limit: int = 100) -> list[LinkCheck]:
    return list(model.Session.scalars(
        sa.select(LinkCheck).where(LinkCheck.package_id == package_id)
        .order_by(LinkCheck.checked_at.desc()).limit(limit)))


def last_link_check(package_id: str) -> dt.datetime | None:
    # the newest of the newest check per URL is the newest check
    return max((r.checked_at for r in latest_links(package_id).values()), default=None)


def save_score(package_id: str, result: dict[str, Any], shacl_conforms: bool | None,
               hvd_compliant: bool | None = None) -> QualityScore:
    """Store `result` (indicators.evaluate) unless it equals the newest row,
    which then only gets a new `checked_at`. The caller commits."""
    now = _now()
    last = latest_score(package_id)
    if last is not None and last.score == result["score"] and last.indicators == result["indicators"] \
            and last.shacl_conforms == shacl_conforms and last.hvd_compliant == hvd_compliant:
        last.checked_at = now
        return last
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    values = {"package_id": package_id, "score": result["score"], "band": result["band"],
              "hvd_compliant": hvd_compliant, "computed_at": now}
    stmt = pg_insert(QualityCurrent.__table__).values(**values)
    model.Session.execute(stmt.on_conflict_do_update(index_elements=["package_id"], set_=values))
    row = QualityScore(package_id=package_id, score=result["score"], band=result["band"],
                       dimensions=result["dimensions"], indicators=result["indicators"],
                       shacl_conforms=shacl_conforms, hvd_compliant=hvd_compliant, computed_at=now, checked_at=now)
    model.Session.add(row)
    return row
