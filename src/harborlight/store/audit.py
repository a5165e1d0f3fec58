"""The audit chain: append-only, each entry hashed with the hash of the one before it.

`append` writes an entry in the caller's transaction, so an action and its trace commit together.
`verify` walks the chain and names every entry that was edited (its hash no longer matches),
deleted (a gap in the sequence, or a head that points past the last entry) or reordered (an
entry whose `prev_hash` is not its predecessor's hash).

Entries hold ids and actions, never personal data: the actor is `user:<id>`, the subject a
network, release or user id, and `detail` a small JSON object of counts and roles.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from harborlight.store.models import AuditEntry, AuditHead

GENESIS = "0" * 64

# What the chain records. A new kind of entry is added here, so the list stays reviewable.
ACTIONS = frozenset({
    "login", "login_failed", "login_locked", "logout",
    "user_add", "role_change", "user_unlock", "agency_add",
    "packet_release", "packet_read", "network_read", "export",
    "outcome_entry", "note_add",
    # hotline cases (cases/): field names and ids only, never a survivor's details
    "case_contact", "case_import", "case_read", "case_merge", "link_decide", "service_request",
    "consent_record", "consent_revoke", "case_disclose", "referral",
    "exception_request", "exception_approve", "keys_rotate",
})


def entry_hash(prev_hash: str, seq: int, at: str, actor: str, action: str, subject: str, detail: str) -> str:
    """SHA-256 over the previous hash and the entry's fields, each length-prefixed so no field can bleed
    into the next."""
    digest = hashlib.sha256()
    for part in (prev_hash, str(seq), at, actor, action, subject, detail):
        data = part.encode("utf-8")
        digest.update(len(data).to_bytes(4, "big"))
        digest.update(data)
    return digest.hexdigest()


def canonical(detail: dict | None) -> str:
    return json.dumps(detail or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def append(session: Session, action: str, actor: str, subject: str = "", detail: dict | None = None) -> AuditEntry:
    """Add one entry after the head, in `session`'s transaction. The head row is locked (FOR UPDATE on
    PostgreSQL) so concurrent writers chain one after another."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    seq = head.seq + 1
    at = datetime.now(timezone.utc).isoformat(timespec="microseconds")
    text = canonical(detail)
    entry = AuditEntry(seq=seq, at=at, actor=actor, action=action, subject=subject, detail=text,
                       prev_hash=head.hash, hash=entry_hash(head.hash, seq, at, actor, action, subject, text))
    session.add(entry)
    head.seq, head.hash = seq, entry.hash
    session.flush()
    return entry


@dataclass(frozen=True)
class Problem:
    seq: int
    what: str  # edited | deleted | reordered

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.what}"


def verify(session: Session) -> tuple[int, list[Problem]]:
    """(entries checked, problems found): every edited, deleted or reordered entry, by sequence number.

    - edited: the entry's fields no longer give its hash; or its hash was recomputed after an edit,
      so the next entry no longer follows it;
    - deleted: a gap in the sequence, or entries the head says exist that are gone;
    - reordered: the entry's hash is right for another position, the one its `prev_hash` link puts it
      in (moving entries changes their `seq`, never their hashes, so the links still tell the order).
    """
    entries = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one_or_none()
    linked_position = _positions_by_link(entries)
    problems: list[Problem] = []
    expected_seq, prev, prev_flagged = 1, GENESIS, False
    for entry in entries:
        gap = entry.seq > expected_seq
        problems.extend(Problem(missing, "deleted") for missing in range(expected_seq, entry.seq))
        fields = (entry.at, entry.actor, entry.action, entry.subject, entry.detail)
        flagged = entry_hash(entry.prev_hash, entry.seq, *fields) != entry.hash
        if flagged:
            original = linked_position.get(entry.hash)
            moved = (original is not None and original != entry.seq
                     and entry_hash(entry.prev_hash, original, *fields) == entry.hash)
            problems.append(Problem(entry.seq, f"reordered (it was entry {original})" if moved else "edited"))
        elif entry.prev_hash != prev and not gap and not prev_flagged and entry.seq > 1:
            # The entry before is self-consistent but is not the one this entry was chained to.
            problems.append(Problem(entry.seq - 1, "edited (its hash was recomputed; the next entry no longer follows it)"))
        expected_seq, prev, prev_flagged = entry.seq + 1, entry.hash, flagged
    if head is None:
        problems.append(Problem(0, "the chain's head is gone"))
    else:
        problems.extend(Problem(missing, "deleted") for missing in range(expected_seq, head.seq + 1))
        if head.seq == expected_seq - 1 and head.hash != prev and not prev_flagged:
            problems.append(Problem(head.seq, "edited (its hash differs from the one the head recorded)"))
        elif head.seq < expected_seq - 1:
            problems.append(Problem(head.seq + 1, "appended outside the application (after the head)"))
    return len(entries), sorted(set(problems), key=lambda p: p.seq)


def _positions_by_link(entries) -> dict[str, int]:
    """Each entry's position as its `prev_hash` links tell it, by hash: following the links from the
    genesis hash, the first entry is 1, the one linked to it 2, and so on. An entry whose links do not
    reach the genesis (one before it was deleted or edited) gets no position."""
    next_of = {}
    for entry in entries:
        next_of.setdefault(entry.prev_hash, entry.hash)
    positions, link, position = {}, GENESIS, 0
    while link in next_of and next_of[link] not in positions:
        link, position = next_of[link], position + 1
        positions[link] = position
    return positions


def record_cli_export(settings, subject: str, detail: dict) -> bool:
    """Write an export made by the command line (`export`, `packet`) to the chain of the data dir's
    workspace, when it has one, so the audit log holds every export and not only the workspace's
    downloads. Without a workspace store there is no chain to write to: False, and nothing is made."""
    from harborlight.store.database import NoStore, open_existing_store

    try:
        store = open_existing_store(settings)
    except NoStore:
        return False
    try:
        with store.writing() as session:
            append(session, "export", "cli", subject, detail)
    finally:
        store.close()
    return True
