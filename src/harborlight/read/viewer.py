"""Who is reading, and what their role may see in clear: the one place that rule lives.

The roles are those of the victim-centered rules, section 6. Every read function takes a
`Viewer`, so the web API decides what each role sees through the same code path as the CLI.

Today no role sees a protected person's identity: everyone gets pseudonyms. Hotline tip text
leaves the read layer only for the advocate, and only redacted; the other roles get
"contents withheld". Survivor PII for the advocate (issue 13) is one line in `IN_CLEAR`.
"""

from __future__ import annotations

from dataclasses import dataclass

from harborlight.errors import BadRequest

# The auditor reads the audit log and nothing of the warehouse (the workspace's policy, web/policy.py).
ROLES = ("admin", "analyst", "advocate", "investigator", "auditor")

# What a role may see beyond pseudonyms and withheld text. Kept as data so that opening a
# view to a role is one edit here, reviewed on its own:
# - "protected_identity": a protected person's name and license number. Never, for any role.
# - "tip_text": hotline tip text, redacted of protected identities. Advocates work the hotline.
# - "hotline_pii": tip text in clear, under consent. Not before issue 13 brings consent records.
IN_CLEAR: dict[str, frozenset[str]] = {
    "admin": frozenset(),
    "analyst": frozenset(),
    "advocate": frozenset({"tip_text"}),
    "investigator": frozenset(),
    "auditor": frozenset(),
}


@dataclass(frozen=True)
class Viewer:
    """The person reading: a role, and the keyed hash of their handle once the API has users."""

    role: str
    handle_hash: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise BadRequest(f"unknown role {self.role!r}: one of {', '.join(ROLES)}")


def sees(viewer: Viewer, what: str) -> bool:
    """Whether `viewer`'s role may see `what` (a key of `IN_CLEAR`'s sets) in clear."""
    return what in IN_CLEAR[viewer.role]


# The CLI is run by an analyst on their own machine.
ANALYST = Viewer("analyst")
