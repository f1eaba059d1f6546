"""Who may do what with feedback items and access grants: the one home of
these rules. Facts come from roles/service, read rights from roles/policy.

- The requester sees their own items, may comment on them and withdraw
  (close) them.
- Handlers: the data office (and governance officer, sysadmins) for every
  item; for an item on a dataset the dataset's owner and deputy and the
  stewards of its domain; for a data request the stewards of the domain the
  office assigned it to.
- Access requests and grants are decided by the domain's stewards and the
  office only: the owner decides who writes, not who reads (R2.3).
- Everybody else sees an item only when a handler published the answer, and
  only if they may read the dataset; an anonymous writer's address never.
"""
from __future__ import annotations

from ckan import model

from ..roles import policy as roles_policy
from ..roles import service as roles
from ..translate import _
from .model import AccessGrant, FeedbackItem

ERROR, WISH, ACCESS, DATA_REQUEST = "error", "wish", "access", "data_request"
KINDS = (ERROR, WISH, ACCESS, DATA_REQUEST)
DATASET_KINDS = (ERROR, WISH, ACCESS)
# an access grant needs an account to grant to
ANONYMOUS_KINDS = (ERROR, WISH, DATA_REQUEST)

NEW, IN_PROGRESS, ANSWERED, CLOSED, DECLINED = "new", "in_progress", "answered", "closed", "declined"
STATUSES = (NEW, IN_PROGRESS, ANSWERED, CLOSED, DECLINED)
OPEN_STATUSES = (NEW, IN_PROGRESS)
TRANSITIONS: dict[str, tuple[str, ...]] = {
    NEW: (IN_PROGRESS, ANSWERED, CLOSED, DECLINED),
    IN_PROGRESS: (ANSWERED, CLOSED, DECLINED),
    ANSWERED: (IN_PROGRESS, CLOSED),
    CLOSED: (IN_PROGRESS,),
    DECLINED: (IN_PROGRESS,),
}
REASON_REQUIRED = (DECLINED,)


def is_requester(user: model.User | None, item: FeedbackItem) -> bool:
    return user is not None and item.requester_id == user.id


def _stewards_domain(user: model.User, domain_id: str | None) -> bool:
    lineage = roles.domain_lineage(roles.get_domain(domain_id)) if domain_id else []
    return bool(lineage) and bool(roles.assignments(user_id=user.id, role="steward", scope_ids=lineage))


def may_decide_access(user: model.User | None, pkg: model.Package | None) -> bool:
    """Grant, decline or revoke read access: the domain's stewards and the office."""
    if user is None:
        return False
    if roles_policy.is_governance_admin(user):
        return True
    return pkg is not None and roles.is_domain_steward(user.id, pkg)


def handles_everything(user: model.User | None) -> bool:
    """The data office, the governance officer and sysadmins handle every item."""
    return roles_policy.is_governance_admin(user)


def may_handle(user: model.User | None, item: FeedbackItem, pkg: model.Package | None) -> bool:
    """Work on the item: change status, answer, comment internally, assign."""
    if user is None:
        return False
    if handles_everything(user):
        return True
    if pkg is not None:
        if roles.is_domain_steward(user.id, pkg):
            return True
        if roles.is_dataset_owner(user.id, pkg.id):
            return True
    return item.kind == DATA_REQUEST and _stewards_domain(user, item.domain_id)


def may_see(user: model.User | None, item: FeedbackItem, pkg: model.Package | None) -> bool:
    if is_requester(user, item) or may_handle(user, item, pkg):
        return True
    if not item.published:
        return False
    # a published answer is as visible as its dataset
    return pkg is None or roles_policy.may_read(user, pkg)


def may_create(user: model.User | None, kind: str) -> bool:
    return user is not None or kind in ANONYMOUS_KINDS


def comment_refusal(user: model.User | None, item: FeedbackItem, pkg: model.Package | None,
                    internal: bool) -> str | None:
    if may_handle(user, item, pkg):
        return None
    if is_requester(user, item):
        return _("Internal notes are for the people handling the request.") if internal else None
    return _("Only the requester and the people handling the request can comment.")


def update_refusal(user: model.User | None, item: FeedbackItem, pkg: model.Package | None,
                   changes: dict[str, object]) -> str | None:
    """Why `user` may not make `changes` to `item` (None: allowed)."""
    if user is None:
        return _("Please log in.")
    if not may_handle(user, item, pkg):
        if is_requester(user, item) and set(changes) <= {"status", "comment"} and changes.get("status") == CLOSED:
            return None  # the requester may withdraw
        return _("Only the people handling the request can change it.")
    target = changes.get("status")
    deciding = target in (ANSWERED, DECLINED) or changes.get("grant_until")
    if item.kind == ACCESS and deciding and not may_decide_access(user, pkg):
        return _("Access requests are decided by the domain's stewards and the data office, not by the data owner.")
    if changes.get("grant_until") and not may_decide_access(user, pkg):
        return _("Access requests are decided by the domain's stewards and the data office, not by the data owner.")
    if "domain" in changes and not roles_policy.is_governance_admin(user):
        return _("Only the data office assigns a data request to a domain.")
    return None


def transition_refusal(current: str, target: str) -> str | None:
    if target == current or target in TRANSITIONS.get(current, ()):
        return None
    return _("No change from {0} to {1}. Possible: {2}").format(
        current, target, ", ".join(TRANSITIONS.get(current, ())) or "-")


def may_see_grant(user: model.User | None, grant: AccessGrant, pkg: model.Package | None) -> bool:
    """The grantee, the dataset's owner (who reads my data?), its stewards, the office."""
    if user is None:
        return False
    if grant.user_id == user.id or may_decide_access(user, pkg):
        return True
    return pkg is not None and roles.is_dataset_owner(user.id, pkg.id)


def default_assignee(kind: str, pkg: model.Package | None, domain_id: str | None = None) -> str | None:
    """Owner first, then steward; access requests go to the steward (who
    decides); without either the item waits for the office (None)."""
    owner = roles.owner_user_id(pkg.id) if pkg is not None and kind != ACCESS else None
    if owner:
        return owner
    domain = roles.dataset_domain(pkg) if pkg is not None else roles.get_domain(domain_id)
    for domain_ref in roles.domain_lineage(domain):
        for a in roles.domain_stewards(domain_ref):
            if not a.deputy:
                return a.user_id
    return None
