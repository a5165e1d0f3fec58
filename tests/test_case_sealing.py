"""Survivor fields are sealed at rest: not in the SQLite file nor a PostgreSQL dump, bound to their row and
field, opened only with the key file, and still readable after `harborlight keys rotate`."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import timedelta

import pytest
from case_support import (
    SHELTER,
    SURVIVOR,
    SURVIVOR_WORDS,
    audit_entries,
    chain_problems,
    open_desk,
    survivor_form,
)
from sqlalchemy import MetaData, select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from harborlight.cases.consent import (
    PERSONAL_FIELDS,
    Recipient,
    mention_context,
    read_case,
    record_consent,
    sealed_context,
)
from harborlight.cases.intake import case_by_ref, record_contact
from harborlight.cases.keys import SealError, open_keyring
from harborlight.cases.mentions import NameIndex
from harborlight.cases.referrals import Provider, refer, referral_payload
from harborlight.cases.rotation import rotate_keys
from harborlight.cli import app
from harborlight.store.accounts import utcnow
from harborlight.store.models import CaseMention, HotlineCase, HotlineContact, Referral

SPA = "Seabright Wellness Spa"
MENTIONING = SURVIVOR["narrative"] + ", call 305-555-0142, 12 Coral Way"


@pytest.fixture
def desk(tmp_path, store_url):
    """An empty case desk on `store_url`, its key file in tmp_path/keys."""
    opened = open_desk(tmp_path, store_url)
    yield opened
    opened.store.close()


def seal_a_case(desk) -> str:
    """Record the survivor's contact (naming a known spa, a phone and an address in its narrative), a consent
    for the shelter and a referral to it, so contacts, mentions and referrals all hold sealed values."""
    with desk.store.writing() as session:
        contact = record_contact(session, desk.keyring, survivor_form(narrative=MENTIONING),
                                 by=desk.people["advocate"], names=NameIndex([("biz-1", SPA)]))
        case = session.get(HotlineCase, contact.case_id)
        record_consent(session, case, recipient=Recipient(SHELTER, "service_provider"), fields=PERSONAL_FIELDS,
                       purpose="shelter", expires_at=utcnow() + timedelta(days=10), by=desk.people["advocate"])
        refer(session, desk.keyring, case, Provider("dir", "PR1", SHELTER), ["shelter"], by=desk.people["advocate"])
        return case.ref


@pytest.fixture
def sealed_case(desk) -> str:
    """The ref of `seal_a_case`'s case."""
    return seal_a_case(desk)


def survivor_bytes() -> list[bytes]:
    """The survivor's words as they could sit in a file: as written, upper-cased (normalised), lower-cased."""
    words = [*SURVIVOR_WORDS, *SURVIVOR.values(), SPA, "Coral Way", "555-0142", "5550142"]
    return [form.encode("utf-8") for w in words for form in (w, w.upper(), w.lower())]


def found_in(data: bytes) -> list[bytes]:
    return [w for w in survivor_bytes() if w in data]


# -- at rest -----------------------------------------------------------------------------------------
def test_survivor_fields_are_not_in_the_sqlite_files(tmp_path):
    desk = open_desk(tmp_path, f"sqlite:///{tmp_path / 'workspace.sqlite'}")
    try:
        seal_a_case(desk)
        # while the store is open what was written sits in the write-ahead log: search it too
        for path in tmp_path.glob("workspace.sqlite*"):
            assert found_in(path.read_bytes()) == [], path.name
        with desk.store.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        desk.store.close()
    data = (tmp_path / "workspace.sqlite").read_bytes()
    assert b"hl1:" in data  # the fields are there, sealed
    for path in tmp_path.glob("workspace.sqlite*"):
        assert found_in(path.read_bytes()) == [], path.name


def pg_dump(url: str) -> bytes:
    parsed = make_url(url)
    return subprocess.run(["/usr/bin/pg_dump", "-h", parsed.host, "-p", str(parsed.port or 5432),
                           "-U", parsed.username, "--no-owner", parsed.database],
                          capture_output=True, check=True).stdout


def test_survivor_fields_are_not_in_a_postgresql_dump(tmp_path, postgres_url):
    desk = open_desk(tmp_path, postgres_url)
    try:
        seal_a_case(desk)
    finally:
        desk.store.close()
    dump = pg_dump(postgres_url)
    assert b"hl1:" in dump and b"hotline_contacts" in dump
    assert found_in(dump) == []


# -- bound to row and field --------------------------------------------------------------------------
def test_a_sealed_value_moved_to_another_contact_does_not_open(desk):
    with desk.store.writing() as session:
        first = record_contact(session, desk.keyring, survivor_form(), by=desk.people["advocate"])
        second = record_contact(session, desk.keyring, survivor_form(caller_name="Someone Else"),
                                by=desk.people["advocate"])
        second.caller_name_sealed = first.caller_name_sealed
        ref = session.get(HotlineCase, second.case_id).ref
    with pytest.raises(SealError, match="altered or moved"), desk.store.writing() as session:
        read_case(session, desk.keyring, case_by_ref(session, ref), desk.people["advocate"])


def test_a_sealed_value_moved_to_another_field_does_not_open(desk):
    with desk.store.writing() as session:
        contact = record_contact(session, desk.keyring, survivor_form(), by=desk.people["advocate"])
        contact.location_sealed = contact.caller_name_sealed
        ref = session.get(HotlineCase, contact.case_id).ref
    with desk.store.session() as session:
        contact = session.execute(select(HotlineContact)).scalar_one()
        assert desk.keyring.unseal(contact.caller_name_sealed, sealed_context(contact, "caller_name")) \
            == SURVIVOR["caller_name"]
        with pytest.raises(SealError):
            desk.keyring.unseal(contact.location_sealed, sealed_context(contact, "location"))
    with pytest.raises(SealError), desk.store.writing() as session:
        read_case(session, desk.keyring, case_by_ref(session, ref), desk.people["advocate"])


def test_a_mention_moved_to_another_kind_does_not_open(desk, sealed_case):
    with desk.store.session() as session:
        mention = session.execute(select(CaseMention).where(CaseMention.kind == "phone")).scalar_one()
        contact = session.get(HotlineContact, mention.contact_id)
    assert desk.keyring.unseal(mention.value_sealed, mention_context(contact, "phone")) == "305-555-0142"
    with pytest.raises(SealError):
        desk.keyring.unseal(mention.value_sealed, mention_context(contact, "address"))


@pytest.mark.parametrize("token", ["not sealed at all", "hl1:deadbeef:AAAA", "hl1:{key}:!!!notbase64",
                                   "hl1:{key}:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB", "hl1:{key}:QUFB", "hl1:{key}:",
                                   "hl2:{key}:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"])
def test_a_damaged_sealed_value_gives_a_seal_error(desk, token):
    with pytest.raises(SealError):
        desk.keyring.unseal(token.format(key=desk.keyring.active), "contact:x:caller_name")


# -- the key file -----------------------------------------------------------------------------------
@pytest.mark.parametrize("damage", [
    "not json at all",
    "{}",
    '{"active": "k1", "keys": {"k1": "c2hvcnQ="}}',  # a key of 5 bytes
    '{"active": "k2", "keys": {"k1": "' + "A" * 44 + '"}}',  # the active key is missing
    '{"active": "k1", "keys": ["k1"]}',
    '{"active": "k1", "keys": {"k1": "not base64 at all!"}}',
])
def test_a_damaged_key_file_is_a_clear_error(desk, damage):
    desk.settings.keys_path.write_text(damage, encoding="utf-8")
    with pytest.raises(SealError) as refused:
        open_keyring(desk.settings, create=False)
    assert str(desk.settings.keys_path) in str(refused.value) and "damaged" in str(refused.value)


def test_a_missing_key_file_is_a_clear_error_naming_it(desk):
    desk.settings.keys_path.unlink()
    with pytest.raises(SealError) as refused:
        open_keyring(desk.settings, create=False)
    assert str(desk.settings.keys_path) in str(refused.value)
    assert not desk.settings.keys_path.exists()  # and nothing was made in its place


def test_a_new_key_file_is_for_its_owner_only(desk):
    mode = stat.S_IMODE(os.stat(desk.settings.keys_path).st_mode)
    assert mode == 0o600


# -- rotation through the CLI -----------------------------------------------------------------------
def rotate(desk):
    result = CliRunner().invoke(app, ["keys", "rotate", "--data-dir", str(desk.settings.data_dir)],
                                env={"HARBORLIGHT_DATABASE_URL": desk.settings.store_url})
    assert result.exit_code == 0, result.output
    return result


def every_stored_string(desk) -> list[str]:
    """Every text value of every table of the store."""
    metadata = MetaData()
    metadata.reflect(desk.store.engine)
    found = []
    with desk.store.engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(table.select()):
                found += [v for v in row if isinstance(v, str)]
    return found


def assert_everything_opens(desk, keyring) -> None:
    with desk.store.session() as session:
        contacts = list(session.execute(select(HotlineContact)).scalars())
        assert contacts
        for contact in contacts:
            opened = {n: keyring.unseal(getattr(contact, f"{n}_sealed"), sealed_context(contact, n))
                      for n in PERSONAL_FIELDS}
            assert opened == {**SURVIVOR, "narrative": MENTIONING}
        mentions = list(session.execute(select(CaseMention)).scalars())
        values = {keyring.unseal(m.value_sealed, mention_context(session.get(HotlineContact, m.contact_id), m.kind))
                  for m in mentions}
        assert {"305-555-0142", "12 Coral Way"} <= values and len(values) == len(mentions)
        (referral,) = session.execute(select(Referral)).scalars()
        assert referral_payload(keyring, referral)["survivor"]["caller_name"] == [SURVIVOR["caller_name"]]


def test_keys_rotate_keeps_every_record_readable_and_retires_the_old_key(desk, sealed_case):
    old = desk.keyring.active
    assert_everything_opens(desk, desk.keyring)
    rotate(desk)
    keyring = open_keyring(desk.settings, create=False)
    assert keyring.active != old and keyring.key_ids == (keyring.active,)
    assert old not in desk.settings.keys_path.read_text(encoding="utf-8")
    assert stat.S_IMODE(os.stat(desk.settings.keys_path).st_mode) == 0o600
    assert_everything_opens(desk, keyring)
    assert not [s for s in every_stored_string(desk) if f"hl1:{old}:" in s]
    with pytest.raises(SealError):  # what the old key sealed no longer opens: that key is gone
        keyring.unseal(desk.keyring.seal("x", "c"), "c")
    assert chain_problems(desk.store) == []


def test_keys_rotate_twice_works(desk, sealed_case):
    first = desk.keyring.active
    rotate(desk)
    second = open_keyring(desk.settings, create=False).active
    result = rotate(desk)
    keyring = open_keyring(desk.settings, create=False)
    assert len({first, second, keyring.active}) == 3 and keyring.key_ids == (keyring.active,)
    assert "retired 1 old key" in result.output
    assert_everything_opens(desk, keyring)
    stored = every_stored_string(desk)
    assert not [s for s in stored if f"hl1:{first}:" in s or f"hl1:{second}:" in s]
    rotations = [json.loads(e.detail) for e in audit_entries(desk.store) if e.action == "keys_rotate"]
    assert len(rotations) == 2 and rotations[0] == rotations[1]  # each re-sealed every value


def harborlight(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The installed command line, as an administrator runs it (errors printed by `main`)."""
    return subprocess.run([sys.executable, "-c", "from harborlight.cli import main; main()", *args],
                          env={**os.environ, **env}, capture_output=True, text=True)


@pytest.mark.parametrize("damage, says", [(None, "no key file"), ("{not json", "the key file is damaged")])
def test_keys_rotate_with_a_missing_or_damaged_key_file_is_one_clear_error(desk, sealed_case, damage, says):
    path = desk.settings.keys_path
    if damage is None:
        path.unlink()
    else:
        path.write_text(damage, encoding="utf-8")
    before = sorted(every_stored_string(desk))
    result = harborlight("keys", "rotate", "--data-dir", str(desk.settings.data_dir),
                         env={"HARBORLIGHT_DATABASE_URL": desk.settings.store_url})
    assert result.returncode != 0 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {path}: {says}")
    assert sorted(every_stored_string(desk)) == before  # nothing was re-sealed
    assert path.exists() == (damage is not None) and (damage is None or path.read_text(encoding="utf-8") == damage)


def test_rotation_stopped_by_a_damaged_value_leaves_every_record_open(desk, sealed_case):
    old = desk.keyring.active
    with desk.store.writing() as session:
        contact = session.execute(select(HotlineContact)).scalar_one()
        good = contact.callback_sealed
        contact.callback_sealed = "damaged"
    with pytest.raises(SealError):
        rotate_keys(desk.store, desk.keyring)
    with desk.store.writing() as session:
        session.execute(select(HotlineContact)).scalar_one().callback_sealed = good
    keyring = open_keyring(desk.settings, create=False)
    assert old in keyring.key_ids and len(keyring.key_ids) == 2  # the new key was kept, the old not retired
    assert_everything_opens(desk, keyring)
    rotate_keys(desk.store, keyring)  # and a second run finishes the work
    assert open_keyring(desk.settings, create=False).key_ids == (keyring.active,)
    assert_everything_opens(desk, keyring)


def test_a_key_file_others_can_read_is_refused_with_the_fix(tmp_path):
    from harborlight.cases.keys import SealError, open_keyring
    from harborlight.config import Settings

    settings = Settings(data_dir=tmp_path)
    open_keyring(settings)
    settings.keys_path.chmod(0o644)
    with pytest.raises(SealError, match="chmod 600"):
        open_keyring(settings, create=False)
    settings.keys_path.chmod(0o600)
    assert open_keyring(settings, create=False).active


def test_a_keyring_sees_a_rotation_another_process_wrote_and_two_first_opens_share_one_key(tmp_path):
    from harborlight.cases.keys import open_keyring
    from harborlight.config import Settings

    settings = Settings(data_dir=tmp_path)
    serving = open_keyring(settings)
    assert open_keyring(settings).active == serving.active  # a second open reads the file, makes no key
    assert not serving.changed_on_disk()
    rotating = open_keyring(settings, create=False)
    rotating.add_key()
    assert serving.changed_on_disk()  # the workspace re-reads the file before its next use
    assert open_keyring(settings, create=False).active == rotating.active


def test_the_workspace_reads_the_key_file_again_after_a_rotation(tmp_path):
    from harborlight.cases.keys import open_keyring
    from harborlight.config import Settings
    from harborlight.web.workspace import Workspace

    settings = Settings(data_dir=tmp_path)
    workspace = Workspace(settings)
    try:
        before = workspace.keyring().active
        rotating = open_keyring(settings, create=False)
        rotating.add_key()
        rotating.retire_others()
        assert workspace.keyring().active == rotating.active != before
    finally:
        workspace.close()
