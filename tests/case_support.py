"""Helpers for the hotline case tests: a case desk (a migrated store, a key file, the people who use it)
and a survivor whose details are distinctive enough to search for in bytes, dumps and logs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import select

import harborlight.store.accounts as accounts_module
from harborlight.cases.intake import ContactForm, record_contact
from harborlight.cases.keys import Keyring, open_keyring
from harborlight.config import Settings
from harborlight.store import Store, audit, open_store
from harborlight.store.accounts import add_user, agency_named
from harborlight.store.models import AuditEntry, User

PASSWORD = "a long enough secret"
AGENCY = "Bay County Task Force"
OTHER_AGENCY = "Harbor City Police"
SHELTER = "Harbor Light Shelter"
OTHER_SHELTER = "Seaside Family Shelter"

# One survivor's details: no word of them may leave the case file without consent.
SURVIVOR = {
    "caller_name": "Quillon Marrowgate",
    "caller_phone": "305-555-0199",
    "callback": "text only after nine, say it is the pharmacy",
    "narrative": "They keep our passports at Seabright Wellness Spa and we sleep in the back room",
    "location": "blue house behind 77 Tamarind Lane",
}
SURVIVOR_WORDS = ("Quillon", "Marrowgate", "555-0199", "5550199", "pharmacy", "passports", "Tamarind")


@dataclass
class CaseDesk:
    """An open store on one database, its keyring, and accounts by handle."""

    settings: Settings
    store: Store
    keyring: Keyring
    people: dict[str, User]


def open_desk(data_dir: Path, store_url: str) -> CaseDesk:
    settings = Settings(data_dir=data_dir, database_url=store_url)
    store = open_store(settings)
    # The accounts here never log in: a cheap argon2 keeps each test's setup short.
    usual, accounts_module.HASHER = accounts_module.HASHER, PasswordHasher(time_cost=1, memory_cost=1024)
    accounts = {"advocate": ("advocate", None), "advocate2": ("advocate", None), "admin": ("admin", None),
                "analyst": ("analyst", None), "investigator": ("investigator", AGENCY)}
    try:
        with store.writing() as session:
            agency_named(session, AGENCY, create=True)
            people = {h: add_user(session, h, PASSWORD, role, agency, by_actor="test")
                      for h, (role, agency) in accounts.items()}
    finally:
        accounts_module.HASHER = usual
    return CaseDesk(settings, store, open_keyring(settings), people)


def survivor_form(**changes) -> ContactForm:
    """A named contact in Korean carrying every SURVIVOR field; `changes` override any of them."""
    values = {"channel": "call", "language": "ko", "anonymous": False, "state": "FL", **SURVIVOR, **changes}
    return ContactForm(**values)


def record_survivor(desk: CaseDesk, **changes) -> str:
    """Record `survivor_form(**changes)` as the advocate, in a new case; returns the case's ref."""
    from harborlight.store.models import HotlineCase

    with desk.store.writing() as session:
        contact = record_contact(session, desk.keyring, survivor_form(**changes), by=desk.people["advocate"])
        return session.get(HotlineCase, contact.case_id).ref


def audit_entries(store: Store) -> list[AuditEntry]:
    with store.session() as session:
        return list(session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())


def chain_problems(store: Store) -> list:
    with store.session() as session:
        return audit.verify(session)[1]


def leaked_words(text: str, words=SURVIVOR_WORDS) -> list[str]:
    """The survivor's words found in `text`, case-insensitively."""
    folded = text.casefold()
    return [w for w in words if w.casefold() in folded]
