"""Who is protected, and how a protected person is shown. Every output path goes through here.

A person is protected when their only link to any business is as a worker
(victim-centered rules, section 1). Until the network stage adds probable
nominees, that means: every mention of them, after entity resolution, is a
therapist license.
A protected person is shown by a stable pseudonym, and their name never leaves
the warehouse: the SQL below does not even select it.
"""

from __future__ import annotations

import hashlib

# Links to a business that make a person a presumed potential victim, not a target.
WORKER_ROLES = ("therapist",)


def protected_persons_sql() -> str:
    """Person entities all of whose records link them to a business only as a worker."""
    roles = ", ".join(f"'{r}'" for r in WORKER_ROLES)
    return f"""
    SELECT entity_id
    FROM person_mentions
    GROUP BY entity_id
    HAVING bool_and(person_role IN ({roles}))"""


def pseudonym(entity_id: str) -> str:
    """A stable stand-in such as `worker-7f3a2c`, the same for an entity in every output."""
    return "worker-" + hashlib.sha256(entity_id.encode("utf-8")).hexdigest()[:6]


def shown_name(entity_id: str, name: str | None, protected: bool) -> str:
    """The only way a person's name reaches an output."""
    if protected:
        return pseudonym(entity_id)
    return name or ""
