"""The approval state machine (pure: no database, easy to test)."""
from __future__ import annotations

DRAFT, IN_REVIEW, APPROVED, PUBLISHED, WITHDRAWN, ARCHIVED = (
    "draft", "in_review", "approved", "published", "withdrawn", "archived",
)
STATES = (DRAFT, IN_REVIEW, APPROVED, PUBLISHED, WITHDRAWN, ARCHIVED)

# Who may make a transition: "maintainer" = owner, deputy or editor of the
# dataset; "reviewer" = steward of its domain or the data office;
# "office" = the data office (and governance officer).
SUBMIT, DECIDE, OFFICE = "maintainer", "reviewer", "office"

TRANSITIONS: dict[tuple[str, str], str] = {
    (DRAFT, IN_REVIEW): SUBMIT,
    (IN_REVIEW, APPROVED): DECIDE,
    (IN_REVIEW, DRAFT): DECIDE,  # rejection
    (APPROVED, PUBLISHED): DECIDE,
    (PUBLISHED, WITHDRAWN): DECIDE,
    (APPROVED, IN_REVIEW): SUBMIT,
    (WITHDRAWN, IN_REVIEW): SUBMIT,
}
ARCHIVABLE_FROM = (DRAFT, IN_REVIEW, APPROVED, PUBLISHED, WITHDRAWN)

# transitions that need a reason
REASON_REQUIRED = {(IN_REVIEW, DRAFT), (PUBLISHED, WITHDRAWN), (APPROVED, IN_REVIEW), (WITHDRAWN, IN_REVIEW)}
# transitions the submitter of the current submission may not make (four eyes)
FOUR_EYES = {(IN_REVIEW, APPROVED), (APPROVED, PUBLISHED)}


def who(current: str, target: str) -> str | None:
    """Which group may move `current` -> `target` (None: no such transition)."""
    if target == ARCHIVED:
        return OFFICE if current in ARCHIVABLE_FROM else None
    return TRANSITIONS.get((current, target))


def targets(current: str) -> list[str]:
    found = [t for (f, t) in TRANSITIONS if f == current]
    if current in ARCHIVABLE_FROM:
        found.append(ARCHIVED)
    return found


def is_public(access_class: str | None, state: str | None) -> bool:
    """Only published datasets of access class public are open data."""
    return access_class == "public" and state == PUBLISHED
