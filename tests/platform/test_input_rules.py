"""The rules of text, dates and JSON objects that every payload goes through (no database)."""

import unicodedata
from datetime import date

import pytest
from pydantic import ValidationError
from sqlmodel import Field

from app.core import clock
from app.core.middleware import _find_duplicate
from app.core.schemas import InputModel, Year, clean_text, plausible_dates
from app.models import Unit, UnitBase

NFC = "Trịnh Thị Kim Thoa"


def test_text_is_stored_in_nfc() -> None:
    nfd = unicodedata.normalize("NFD", NFC)
    assert nfd != NFC
    assert clean_text(nfd) == NFC
    assert clean_text(NFC) == NFC


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("  Hương Sơn \n", "Hương Sơn"),
        ("\u00a0\u3000Hương Sơn\u2028", "Hương Sơn"),  # no-break, ideographic, line separator
        ("\ufeff\u200bHương Sơn\u200d\u200e", "Hương Sơn"),  # BOM, zero-width, direction mark
        ("Hương\u200bSơn", "Hương\u200bSơn"),  # inside the text it is the client's
        ("dòng 1\ndòng 2\tcột", "dòng 1\ndòng 2\tcột"),
        ("", ""),
    ],
)
def test_surrounding_spaces_and_invisible_characters_are_trimmed(sent: str, kept: str) -> None:
    assert clean_text(sent) == kept


@pytest.mark.parametrize("text", ["\u3164", "\u0301", "\u0301\u0300", "\u2800", "a\x00b", "x\x1by"])
def test_text_without_a_visible_character_or_with_control_characters_is_refused(
    text: str,
) -> None:
    with pytest.raises(ValueError, match=r"control characters|no visible character"):
        clean_text(text)


@pytest.mark.parametrize("text", ["a", "1", "·", "✓", "đ", "漢"])
def test_one_visible_character_is_enough(text: str) -> None:
    assert clean_text(f" {text} ") == text


class Sample(InputModel):
    year: Year
    on: date | None = None
    count: int | None = None
    flag: bool = False
    names: list[str] = Field(default_factory=list)


def test_plausible_dates_follow_today_and_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "today", lambda: date(2030, 6, 1))
    first, last = plausible_dates()
    assert (first, last) == (date(1930, 2, 3), date(2040, 12, 31))
    assert Sample.model_validate({"year": 2040, "on": "2040-12-31"}).year == 2040
    for wrong in ({"year": 2041}, {"year": 1989}, {"year": 2030, "on": "2041-01-01"}):
        with pytest.raises(ValidationError):
            Sample.model_validate(wrong)


@pytest.mark.parametrize(
    "wrong",
    [
        {"year": "2025"},
        {"year": True},
        {"year": 2025.5},
        {"year": 2025, "count": "3"},
        {"year": 2025, "flag": "true"},
        {"year": 2025, "flag": 1},
        {"year": 2025, "on": 0},
        {"year": 2025, "extra": None},
        {"year": 2025, "names": ["a", "\u3164"]},
    ],
)
def test_a_payload_takes_each_type_strictly(wrong: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Sample.model_validate(wrong)


def test_an_integral_number_is_an_integer() -> None:
    # JSON Schema, and so the OpenAPI document, counts 2025.0 among the integers.
    assert Sample.model_validate({"year": 2025.0}).year == 2025


def test_a_payload_still_takes_iso_dates_and_cleans_lists_of_text() -> None:
    sample = Sample.model_validate(
        {"year": 2025, "on": "2025-07-01", "names": [unicodedata.normalize("NFD", NFC) + " "]}
    )
    assert sample.on == date(2025, 7, 1)
    assert sample.names == [NFC]


def test_the_table_families_stay_lax() -> None:
    """The rules go on the payload's copy of an inherited field, never on the table's."""
    for model in (UnitBase, Unit):
        assert not any("Strict" in repr(m) for m in model.model_fields["valid_from"].metadata)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b'{"name": "a", "name": "b"}', ["name"]),
        (b'{"a": {"x": 1, "y": 2, "x": 3}}', ["a", "x"]),
        (b'{"rows": [{"k": 1}, {"k": 1, "k": 2}]}', ["rows", 1, "k"]),
        (b'[{"k": 1, "k": 2}]', [0, "k"]),
    ],
)
def test_a_key_named_twice_is_located(body: bytes, where: list[object]) -> None:
    assert _find_duplicate(body) == where


@pytest.mark.parametrize(
    "body", [b'{"name": "a", "Name": "b"}', b'{"a": {"k": 1}, "b": {"k": 1}}', b"{", b"", b"\xff"]
)
def test_distinct_keys_and_bodies_that_are_not_json_pass(body: bytes) -> None:
    assert _find_duplicate(body) is None
