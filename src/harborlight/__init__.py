"""harborlight: find the networks behind illicit massage businesses.

The library comes first; the `harborlight` command is a thin layer over it.
"""

__version__ = "0.1.0"
