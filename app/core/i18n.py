"""Error messages in the client's language: English or Vietnamese, chosen by Accept-Language.

Every text a problem+json carries is a `Msg`: an English template (which is also its gettext
msgid) with its parameters kept apart, so that it is rendered in the request's language only
when the response is made. The Vietnamese translations live in gettext catalogs read with Babel
when this module is imported (no compile step): app/locale/vi/LC_MESSAGES/messages.po for the
app's own messages (extracted from the code), and pydantic.po for pydantic's validation errors,
keyed by their `type` and filled in with their `ctx`.

    raise NotFoundError(t("Unit {unit_id} does not exist.", unit_id=unit_id))

Maintainers refresh the catalog with Babel's tools (README, "Errors in your language").
"""

import logging
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

logger = logging.getLogger(__name__)

Language = Literal["vi", "en"]
LANGUAGES: tuple[Language, ...] = ("vi", "en")
CATALOG_DIR = Path(__file__).resolve().parents[1] / "locale" / "vi" / "LC_MESSAGES"


def _load_catalog(domain: str) -> Catalog:
    with (CATALOG_DIR / f"{domain}.po").open("rb") as po:
        return read_po(po, locale="vi", domain=domain)


MESSAGES: Catalog = _load_catalog("messages")
PYDANTIC: Catalog = _load_catalog("pydantic")


@dataclass(frozen=True, eq=False)
class Msg:
    """A message to a client: an English `str.format` template and its parameters (equal only
    to itself: its parameters need not be hashable)."""

    text: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, language: Language) -> str:
        template = self.text if language == "en" else translated(self.text) or self.text
        return template.format(**{k: _param(v, language) for k, v in self.params.items()})

    def __str__(self) -> str:
        return self.render("en")


@dataclass(frozen=True, eq=False)
class Joined(Msg):
    """Values joined in prose: "a and b" / "a và b", "a or b" / "a hoặc b", or "a; b"."""

    items: Sequence[Any] = ()
    word: Literal["and", "or", ";"] = "and"

    def render(self, language: Language) -> str:
        separator = _SEPARATORS[self.word][LANGUAGES.index(language)]
        return separator.join(str(_param(v, language)) for v in self.items)


_SEPARATORS = {"and": (" và ", " and "), "or": (" hoặc ", " or "), ";": ("; ", "; ")}


def joined(items: Sequence[Any], word: Literal["and", "or", ";"] = "and") -> Joined:
    return Joined("", {}, items, word)


def t(text: str, /, **params: Any) -> Msg:
    """Mark `text` as a message (the extraction keyword of the catalog)."""
    return Msg(text, params)


def _param(value: Any, language: Language) -> Any:
    # Parameters may be messages themselves (a clause chosen at run time), enums (their code in
    # English, their official label in Vietnamese), or lists of either.
    if isinstance(value, Msg):
        return value.render(language)
    if isinstance(value, Enum):
        label = getattr(value, "label", None)  # app.models' LabelledEnum
        return label if language == "vi" and label else value.value
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(_param(v, language)) for v in value)
    return value


def translated(text: str, catalog: Catalog = MESSAGES) -> str | None:
    """The Vietnamese template of `text`, or None, logged, when it has none (the tests check
    that none is missing)."""
    message = catalog.get(text)
    if message is None or not message.string or message.fuzzy:
        logger.warning("no Vietnamese translation of %r in %s.po", text, catalog.domain)
        return None
    return str(message.string)


def render(text: "Msg | str | None", language: Language) -> str | None:
    if isinstance(text, Msg):
        return text.render(language)
    return text


def placeholders(template: str) -> set[str]:
    """The names a `str.format` template uses ({name}, {name!r}, {name:g})."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


# --- Accept-Language (RFC 9110, 12.5.4) -----------------------------------------------------

_Q = re.compile(r"^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$", re.IGNORECASE)


def negotiate(header: str | None, default: Language) -> Language:
    """The language of `LANGUAGES` the client prefers most (highest q; the first on a tie);
    `default` when the header is absent, names none of them, or is `*`."""
    best, best_q = default, 0.0
    for item in (header or "").split(","):
        tag, *params = item.split(";")
        tag = tag.strip().lower()
        q = 1.0
        for param in params:
            match = _Q.match(param)
            if match:
                q = float(match.group(1))
        primary = tag.split("-", 1)[0]
        candidate: Language | None
        if tag == "*":
            candidate = default
        else:
            candidate = next((lang for lang in LANGUAGES if lang == primary), None)
        if candidate is not None and q > best_q:
            best, best_q = candidate, q
    return best


# --- pydantic's validation errors -----------------------------------------------------------


def _enum_choices(expected: str) -> str:
    # pydantic_core joins the choices of an enum or literal as "'a', 'b' or 'c'"; only its last
    # joiner is English.
    head, sep, last = expected.rpartition(" or ")
    return f"{head} hoặc {last}" if sep else expected


def validation_message(error: Mapping[str, Any], language: Language) -> str:
    """The message of one of pydantic's errors (`RequestValidationError.errors()` item)."""
    if language == "en":  # pydantic's own English
        return str(error.get("msg", ""))
    kind = str(error.get("type", ""))
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    cause = ctx.get("error")
    # A validator of ours raised ValueError(t(...)): its own message.
    if kind in {"value_error", "assertion_error"} and isinstance(cause, BaseException):
        reason = cause.args[0] if cause.args else None
        if isinstance(reason, Msg):
            return reason.render(language)
    if "expected" in ctx and kind in {"enum", "literal_error"}:
        ctx["expected"] = _enum_choices(str(ctx["expected"]))
    template = translated(kind, PYDANTIC)
    if template is None:
        return str(error.get("msg", ""))
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        logger.warning("the Vietnamese template of %s needs context %s lacks", kind, ctx)
        return str(error.get("msg", ""))


def render_errors(errors: Sequence[Mapping[str, Any]], language: Language) -> list[dict[str, Any]]:
    """Field errors with their `msg` rendered in `language`."""
    return [{**e, "msg": render(e.get("msg"), language) or ""} for e in errors]
