"""Search keys: accent-, case- and punctuation-insensitive matching of Vietnamese names."""

import re

from anyascii import anyascii

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case ASCII words: "Đảng bộ xã Hương Sơn" -> "dang bo xa huong son".

    Punctuation becomes a space, so "05-CT/TW" -> "05 ct tw", and `%` or `_` never reach a LIKE
    pattern as wildcards.
    """
    return _NOT_ALNUM.sub(" ", anyascii(text).lower()).strip()


def search_key(*parts: str | None) -> str:
    return fold(" ".join(p for p in parts if p))


def contains_pattern(query: str) -> str:
    """A LIKE pattern matching search keys that contain the folded query."""
    return f"%{fold(query)}%"
