"""Hotline cases: contacts, survivors' decisions (services, consents, referrals), and the one gate that
every survivor field passes before it leaves the case file.

Cases live in the operational store (store/models.py), never in the warehouse. Survivor fields are sealed
per field with AES-GCM (keys.py) under keys kept outside the database. What analysts see of a case is a
de-identified signal (signals.py): a case reference, a date, the business it mentions, conduct codes and
the languages needed.
"""
