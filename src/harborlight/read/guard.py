"""Protection applied as values leave the read layer: person names, record text, tip text.

A `Guard` pairs the warehouse's `Protection` (who may be shown, decided in protection.py)
with the `Viewer` (what their role may see). Every person name and every piece of record
text in a read-layer result has gone through one of its methods, so the result object
itself holds only pseudonyms for protected people.
"""

from __future__ import annotations

from dataclasses import dataclass

from harborlight.protection import Protection, pseudonym
from harborlight.read.viewer import Viewer, sees

TIP_WITHHELD = "(contents withheld)"


@dataclass(frozen=True)
class Guard:
    protection: Protection
    viewer: Viewer

    @classmethod
    def of(cls, warehouse, viewer: Viewer, protection: Protection | None = None) -> Guard:
        """The guard for one read. A caller making several reads may pass one `Protection` to all."""
        return cls(protection or Protection(warehouse), viewer)

    def is_protected(self, person_id: str) -> bool:
        return self.protection.is_protected(person_id)

    def person(self, person_id: str, name: str | None) -> str:
        """A person as this viewer may see them: a pseudonym unless decided to be shown."""
        if name and self.is_protected(person_id) and sees(self.viewer, "protected_identity"):
            return name  # no role has this today (viewer.IN_CLEAR)
        return self.protection.label(person_id, name)

    def pseudonym(self, person_id: str) -> str:
        """A person listed as protected in a view (a worker, a nominee): always their pseudonym."""
        return pseudonym(person_id)

    def text(self, text: str | None) -> str | None:
        """Record text (a business name, a review, an excerpt) with protected identities taken out."""
        return self.protection.redact(text)

    def tip(self, text: str | None) -> str | None:
        """Hotline tip text: withheld unless the role may see it, and then redacted."""
        if text is None:
            return None
        if sees(self.viewer, "hotline_pii"):
            return text
        if sees(self.viewer, "tip_text"):
            return self.text(text)
        return TIP_WITHHELD
