"""Who may open which route: the workspace's one rule table, and the investigator's scope.

Every route of the application has an entry here, by its name, saying which roles may open it
(or that it is public). `context.signed_in`, a dependency of the whole application, looks the
route up on every request: a route missing from this table is refused to everyone, and the
role x route test fails until it is added. The roles follow the victim-centered rules, section 6:

- analyst: the warehouse's findings (overview, search, dossiers, networks), packets, outcomes, statistics;
- investigator: packets released to their agency, and the networks and controllers in them;
- advocate: the hotline case file (cases, consent, referrals, exceptions), the hotline statistics and the
  outcomes ledger;
- admin: users, agencies, the audit log and the hotline statistics, and the second sign-off on a case
  exception (never the case itself), never the warehouse's findings;
- auditor: the audit log, read-only.
"""

from __future__ import annotations

from sqlalchemy import select

from harborlight.errors import Forbidden
from harborlight.read.viewer import ROLES
from harborlight.store import audit
from harborlight.store.accounts import actor
from harborlight.store.models import PacketRelease, User

PUBLIC = frozenset({"public"})
EVERYONE = frozenset(ROLES)
ANALYSTS = frozenset({"analyst"})
CASEWORK = frozenset({"analyst", "investigator"})  # investigators only within what is released to them
LEDGER = frozenset({"analyst", "investigator", "advocate"})
ADMINS = frozenset({"admin"})
AUDIT_READERS = frozenset({"admin", "auditor"})
STATISTICS = frozenset({"analyst", "advocate", "admin"})  # aggregate, every small cell suppressed
ADVOCATES = frozenset({"advocate"})
APPROVERS = frozenset({"advocate", "admin"})  # cases.exceptions.APPROVERS: a second person signs off

RULES: dict[str, frozenset[str]] = {
    # signing in and out
    "login_page": PUBLIC, "login": PUBLIC, "api_login": PUBLIC,
    "logout": EVERYONE, "api_logout": EVERYONE, "home": EVERYONE, "api_me": EVERYONE,
    "openapi": PUBLIC,  # the schema names routes and fields, never data
    # the warehouse's findings
    "overview_page": ANALYSTS, "api_overview": ANALYSTS,
    "search_page": ANALYSTS, "api_search": ANALYSTS,
    "business_page": ANALYSTS, "api_business": ANALYSTS,
    "premises_page": ANALYSTS, "api_premises": ANALYSTS,
    "networks_page": ANALYSTS, "api_networks": ANALYSTS,
    "network_page": CASEWORK, "api_network": CASEWORK, "api_network_graph": CASEWORK,
    "controller_page": CASEWORK, "api_controller": CASEWORK,
    "note_add": ANALYSTS, "api_note_add": ANALYSTS,
    # packets
    "packets_page": CASEWORK, "api_packets": CASEWORK,
    "packet_review_page": ANALYSTS, "api_packet_review": ANALYSTS,
    "packet_release": ANALYSTS, "api_packet_release": ANALYSTS,
    "packet_page": CASEWORK, "api_packet": CASEWORK, "packet_download": CASEWORK,
    # outcomes
    "outcomes_page": LEDGER, "api_outcomes": LEDGER,
    "outcome_add": CASEWORK, "api_outcome_add": CASEWORK,
    # the hotline case file (survivor fields: advocates only)
    "cases_page": ADVOCATES, "api_cases": ADVOCATES,
    "case_new_page": ADVOCATES, "api_case_form": ADVOCATES, "case_add": ADVOCATES, "api_case_add": ADVOCATES,
    "case_page": ADVOCATES, "api_case": ADVOCATES,
    "link_decide": ADVOCATES, "api_link_decide": ADVOCATES,
    "service_add": ADVOCATES, "api_service_add": ADVOCATES,
    "consent_add": ADVOCATES, "api_consent_add": ADVOCATES,
    "consent_revoke": ADVOCATES, "api_consent_revoke": ADVOCATES,
    "referral_add": ADVOCATES, "api_referral_add": ADVOCATES,
    "exception_request": ADVOCATES, "api_exception_request": ADVOCATES,
    "exception_approve": APPROVERS, "api_exception_approve": APPROVERS,
    "case_merge": ADVOCATES, "api_case_merge": ADVOCATES,
    # administration
    "users_page": ADMINS, "api_users": ADMINS, "user_add": ADMINS, "api_user_add": ADMINS,
    "user_role": ADMINS, "api_user_role": ADMINS, "user_unlock": ADMINS, "api_user_unlock": ADMINS,
    "agencies_page": ADMINS, "api_agencies": ADMINS, "agency_add": ADMINS, "api_agency_add": ADMINS,
    "audit_page": AUDIT_READERS, "api_audit": AUDIT_READERS,
    # hotline statistics
    "statistics_page": STATISTICS, "api_statistics": STATISTICS,
}

# Where each role lands after signing in.
LANDING = {"analyst": "/overview", "investigator": "/packets", "advocate": "/cases", "admin": "/admin/users",
           "auditor": "/admin/audit"}


def is_public(route_name: str) -> bool:
    return RULES.get(route_name) == PUBLIC


def allowed(route_name: str, role: str) -> bool:
    """Whether `role` may open the route named `route_name`; an unknown route is allowed to nobody."""
    roles = RULES.get(route_name)
    return roles is not None and roles != PUBLIC and role in roles


def released_to(session, user: User) -> set[str]:
    """The network ids released to an investigator's agency."""
    if user.agency_id is None:
        return set()
    return set(session.execute(
        select(PacketRelease.network_id).where(PacketRelease.agency_id == user.agency_id)).scalars())


def require_network(store, user: User, network_id: str) -> None:
    """An investigator may read a network only once a packet of it is released to their agency, and every
    such read is written to the audit chain. Other roles pass (the route's rule already admitted them)."""
    if user.role != "investigator":
        return
    with store.writing() as session:
        if network_id not in released_to(session, user):
            raise Forbidden("this network has not been released to your agency")
        audit.append(session, "network_read", actor(user), f"network:{network_id}", {})


def require_release(store, user: User, release: PacketRelease) -> None:
    """An investigator may read a release only if it was made to their agency; the read is audited."""
    if user.role != "investigator":
        return
    with store.writing() as session:
        if release.agency_id != user.agency_id:
            raise Forbidden("this packet was released to another agency")
        audit.append(session, "packet_read", actor(user), f"release:{release.id}", {"network": release.network_id})
