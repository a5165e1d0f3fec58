"""Exports: what harborlight concluded, in formats other tools read."""
