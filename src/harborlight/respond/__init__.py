"""Respond: what agencies can act on, and the ledger of what they did."""
