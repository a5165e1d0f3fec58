"""The keys that seal survivor fields, kept in a file outside the database, and sealing itself.

Each personal field of a hotline contact is sealed on its own with AES-GCM (256-bit keys, a fresh
96-bit nonce per value). The associated data names the row and the field (`contact:<uid>:caller_name`),
so a sealed value copied into another row or field no longer opens. A sealed value reads
`hl1:<key id>:<base64 of nonce and ciphertext>`: the key id lets old values open after a new key is
made active, until `harborlight keys rotate` has re-sealed them all and retired the old key.

The key file is JSON, readable by its owner only (0600), and written atomically. Losing it loses every
sealed field: back it up apart from the database (docs/administration.md).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select

from harborlight.config import Settings
from harborlight.errors import HarborlightError, file_error
from harborlight.store.models import HotlineContact

PREFIX = "hl1"
NONCE_BYTES = 12
TAG_BYTES = 16  # AES-GCM's authentication tag, at the end of every sealed value


class SealError(HarborlightError):
    """A key file that is missing, unreadable or damaged, or a sealed value no key opens."""


class Keyring:
    def __init__(self, path: Path, active: str, keys: dict[str, bytes]):
        self.path, self.active, self._keys = path, active, keys
        self.stamp = file_stamp(path)  # the file as it was read or written: a change means re-read it

    def changed_on_disk(self) -> bool:
        """Whether the key file is no longer the one this keyring read (a rotation by another process)."""
        return file_stamp(self.path) != self.stamp

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def seal(self, value: str | None, context: str) -> str | None:
        """`value` sealed under the active key, bound to `context`; None stays None (nothing to hide)."""
        if value is None:
            return None
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(self._keys[self.active]).encrypt(nonce, value.encode("utf-8"), context.encode("utf-8"))
        return f"{PREFIX}:{self.active}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"

    def unseal(self, token: str | None, context: str) -> str | None:
        if token is None:
            return None
        try:
            prefix, key_id, body = token.split(":", 2)
            raw = base64.urlsafe_b64decode(body.encode("ascii"))
        except ValueError:
            raise SealError("a sealed field is damaged (not a harborlight sealed value)") from None
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise SealError("a sealed field is damaged (cut short)")
        if prefix != PREFIX or key_id not in self._keys:
            raise SealError(f"a sealed field needs key {key_id!r}, which {self.path} does not hold")
        try:
            return AESGCM(self._keys[key_id]).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:],
                                                      context.encode("utf-8")).decode("utf-8")
        except InvalidTag:
            raise SealError("a sealed field does not open: it was altered or moved from another record") from None

    def sealed_with_old_key(self, token: str | None) -> bool:
        if token is None:
            return False
        parts = token.split(":", 2)
        if len(parts) != 3 or parts[0] != PREFIX:
            raise SealError("a sealed field is damaged (not a harborlight sealed value)")
        return parts[1] != self.active

    # -- rotation --------------------------------------------------------------------------------
    def add_key(self, first: bool = False) -> str:
        """Make a new key and make it the active one; older keys stay until `retire_others`. The `first` key
        of a new file never replaces a file another process made meanwhile (FileExistsError)."""
        key_id = secrets.token_hex(4)
        self._keys[key_id] = AESGCM.generate_key(bit_length=256)
        self.active = key_id
        self.save(exclusive=first)
        return key_id

    def retire_others(self) -> list[str]:
        """Drop every key but the active one (after every value was re-sealed under it)."""
        retired = [k for k in self._keys if k != self.active]
        self._keys = {self.active: self._keys[self.active]}
        self.save()
        return retired

    def save(self, exclusive: bool = False) -> None:
        data = {"active": self.active,
                "keys": {k: base64.b64encode(v).decode("ascii") for k, v in self._keys.items()}}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(6)}.new")  # one per writer
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out)
                out.flush()
                os.fsync(out.fileno())
            if exclusive:  # link fails where a file exists: two first opens never overwrite each other's key
                try:
                    os.link(temporary, self.path)
                finally:
                    os.unlink(temporary)
            else:
                os.replace(temporary, self.path)
        except FileExistsError:
            raise
        except OSError as exc:
            raise file_error(exc) from None
        self.stamp = file_stamp(self.path)


def file_stamp(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns


def open_keyring(settings: Settings, create: bool = True) -> Keyring:
    """The keyring at the settings' key file; made with one new key when missing and `create`."""
    path = settings.keys_path
    if not path.exists():  # a new key file; but see keyring_for: never beside stored cases
        if not create:
            raise SealError(f"{path}: no key file; hotline cases cannot be opened without it")
        keyring = Keyring(path, "", {})
        try:
            keyring.add_key(first=True)
            return keyring
        except FileExistsError:
            pass  # another process made it first: read theirs
    try:
        if path.stat().st_mode & 0o077:
            raise SealError(f"{path}: the key file can be read by others than its owner; "
                            f"make it private (chmod 600 {path}) and consider rotating the key")
        data = json.loads(path.read_text(encoding="utf-8"))
        keys = {str(k): base64.b64decode(v, validate=True) for k, v in data["keys"].items()}
        active = str(data["active"])
    except OSError as exc:
        raise file_error(exc, action="read") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise SealError(f"{path}: the key file is damaged") from None
    if active not in keys or any(len(k) != 32 for k in keys.values()):
        raise SealError(f"{path}: the key file is damaged")
    return Keyring(path, active, keys)


def keyring_for(settings: Settings, session) -> Keyring:
    """The keyring for the store `session` reads. A new key file is made only while the store holds no
    contact: with sealed values already stored, a missing key file is an error, never a fresh key (which
    would seal new contacts under a key the backup lacks, while every stored one stays shut)."""
    holds_cases = session.execute(select(HotlineContact.id).limit(1)).first() is not None
    return open_keyring(settings, create=not holds_cases)
