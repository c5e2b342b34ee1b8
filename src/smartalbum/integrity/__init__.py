"""``smartalbum check``: the catalog against the files and itself, and the repairs that lose
nothing a person made."""

from smartalbum.integrity.check import CHECKS, Finding, check

__all__ = ["CHECKS", "Finding", "check"]
