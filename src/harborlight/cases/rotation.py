"""`harborlight keys rotate`: a new key, every sealed value re-sealed under it, then the old keys retired.

The new key is saved first and the old ones kept, so a value opens whatever point a crash stops at; the
store is re-sealed in one transaction; only after it commits are the old keys dropped. A second run
finishes what a first run left.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from harborlight.cases.consent import PERSONAL_FIELDS, mention_context, referral_context, sealed_context
from harborlight.cases.keys import Keyring
from harborlight.store import audit
from harborlight.store.models import CaseMention, HotlineContact, Referral


@dataclass(frozen=True)
class Rotated:
    new_key: str
    retired: tuple[str, ...]
    values: int


def _reseal(keyring: Keyring, token: str | None, context: str) -> tuple[str | None, bool]:
    if token is None or not keyring.sealed_with_old_key(token):
        return token, False
    return keyring.seal(keyring.unseal(token, context), context), True


def rotate_keys(store, keyring: Keyring) -> Rotated:
    new_key = keyring.add_key()
    count = 0
    with store.writing() as session:
        contacts = {c.id: c for c in session.execute(select(HotlineContact)).scalars()}
        for contact in contacts.values():
            for name in PERSONAL_FIELDS:
                token, changed = _reseal(keyring, getattr(contact, f"{name}_sealed"), sealed_context(contact, name))
                setattr(contact, f"{name}_sealed", token)
                count += changed
        for mention in session.execute(select(CaseMention)).scalars():
            contact = contacts[mention.contact_id]
            mention.value_sealed, changed = _reseal(keyring, mention.value_sealed,
                                                    mention_context(contact, mention.kind))
            count += changed
        for referral in session.execute(select(Referral)).scalars():
            referral.payload_sealed, changed = _reseal(keyring, referral.payload_sealed, referral_context(referral.id))
            count += changed
        audit.append(session, "keys_rotate", "cli", f"key:{new_key}", {"values": count})
    retired = keyring.retire_others()
    return Rotated(new_key, tuple(retired), count)
