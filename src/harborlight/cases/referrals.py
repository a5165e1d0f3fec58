"""Referrals to victim-service providers. A referral goes whatever the survivor decided about consent
(rule 4): it always carries the case reference, the services asked for and the languages needed, and
carries a survivor field only when a consent to that very provider covers it (rule 1). What was sent is
kept sealed with the referral, so the advocate can show the survivor exactly what the provider received.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from harborlight.cases.consent import Recipient, contacts_of, disclose, referral_context
from harborlight.cases.intake import SERVICE_CODES, live_case
from harborlight.cases.keys import Keyring
from harborlight.errors import BadRequest
from harborlight.store import audit
from harborlight.store.accounts import actor
from harborlight.store.models import HotlineCase, Referral, User


@dataclass(frozen=True)
class Provider:
    """A provider from the warehouse's `providers` records."""

    source: str
    record_id: str
    name: str


def refer(session: Session, keyring: Keyring, case: HotlineCase, provider: Provider, services, *,
          by: User) -> tuple[Referral, dict]:
    """Refer the case to `provider` for `services`; returns the referral and the payload sent."""
    case = live_case(session, case)  # a merged case is referred as the case its contacts now live in
    services = tuple(dict.fromkeys(services))
    if not services or any(s not in SERVICE_CODES for s in services):
        raise BadRequest(f"a referral names services from: {', '.join(SERVICE_CODES)}")
    shared = disclose(session, keyring, case, Recipient(provider.name, "service_provider"),
                      purpose="referral for " + ", ".join(services), by=by)
    languages = sorted({c.language for c in contacts_of(session, case) if c.language and c.language != "en"})
    payload = {"case": case.ref, "provider": provider.name, "services": list(services),
               "languages_needed": languages, "survivor": shared.fields, "withheld": list(shared.withheld)}
    referral = Referral(case_id=case.id, provider_source=provider.source, provider_record_id=provider.record_id,
                        provider_name=provider.name, services=";".join(services),
                        fields_shared=";".join(sorted(shared.fields)), payload_sealed="", made_by=by.id)
    session.add(referral)
    session.flush()
    referral.payload_sealed = keyring.seal(json.dumps(payload, sort_keys=True), referral_context(referral.id))
    audit.append(session, "referral", actor(by), f"case:{case.ref}",
                 {"referral": referral.id, "services": list(services), "fields": sorted(shared.fields)})
    return referral, payload


def referral_payload(keyring: Keyring, referral: Referral) -> dict:
    return json.loads(keyring.unseal(referral.payload_sealed, referral_context(referral.id)))


def referrals_of(session: Session, case: HotlineCase) -> list[Referral]:
    return list(session.execute(select(Referral).where(Referral.case_id == case.id).order_by(Referral.id)).scalars())
