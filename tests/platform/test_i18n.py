"""Problem texts in Vietnamese and English (issue 15, item 5): the catalogs are complete, and the
API answers the same bad request in the language the client asks for."""

import ast
import logging
import re
import typing
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic_core import PydanticKnownError
from pydantic_core.core_schema import ErrorType

import app.main
from app.core import i18n
from app.core.config import settings
from app.core.errors import PROBLEM_MEDIA_TYPE, STATUS_TITLES, AppError
from app.core.i18n import MESSAGES, PYDANTIC, joined, negotiate, placeholders, t
from tests.factories import assert_problem, make_unit

APP_DIR = Path(app.main.__file__).resolve().parent


def vietnamese(text: str) -> str:
    message = MESSAGES.get(text)
    assert message is not None, text
    assert message.string, text
    assert not message.fuzzy, text
    return str(message.string)


# --- (a) every problem type has a title in both languages --------------------------------


def _problem_classes(cls: type[AppError] = AppError) -> list[type[AppError]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found += _problem_classes(sub)
    return found


def test_every_problem_class_has_a_vietnamese_title() -> None:
    classes = _problem_classes()
    assert len(classes) > 10  # the domain's own (period-locked, demo-account…) are among them
    for cls in classes:
        assert vietnamese(cls.title.text) != cls.title.text, cls


def test_every_status_the_api_declares_has_a_vietnamese_title(app: FastAPI) -> None:
    # A problem without a type of its own (about:blank) is titled by its status's phrase.
    declared = {
        int(status)
        for path in app.openapi()["paths"].values()
        for operation in path.values()
        for status, response in operation.get("responses", {}).items()
        if PROBLEM_MEDIA_TYPE in response.get("content", {})
    }
    assert {401, 404, 422} <= declared
    # And those the framework answers by itself: a malformed request, a wrong method, a body
    # over the limit, a crash.
    for status in declared | {400, 405, 413, 500}:
        title = STATUS_TITLES[status].text
        assert vietnamese(title) != title, status


# --- (b) every message raised in app/ has both languages ---------------------------------


def _t_calls() -> list[tuple[Path, ast.Call]]:
    calls = []
    for path in APP_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "t":
                calls.append((path, node))
    return calls


def test_messages_are_literal_templates() -> None:
    # Extraction sees only literals: t(variable) would hide a message from the catalog.
    calls = _t_calls()
    assert len(calls) > 200
    for path, call in calls:
        first = call.args[0] if call.args else None
        assert isinstance(first, ast.Constant), f"{path}:{call.lineno}"
        assert isinstance(first.value, str), f"{path}:{call.lineno}"


def test_every_message_has_a_vietnamese_translation_with_its_parameters() -> None:
    for path, call in _t_calls():
        text = call.args[0].value  # type: ignore[attr-defined]
        translation = vietnamese(text)
        given = {k.arg for k in call.keywords}
        if None in given:  # t(..., **params): checked where the params are built
            continue
        assert placeholders(text) <= given, f"{path}:{call.lineno}"
        # The translation may leave out a parameter but not need one that is not given.
        assert placeholders(translation) <= given, f"{path}:{call.lineno}: {translation}"


def test_the_catalog_holds_only_messages_of_the_code() -> None:
    # The same extraction as `pybabel extract` (README): a message removed from the code leaves
    # no stale translation behind.
    extracted = {
        message
        for _, _, message, _, _ in extract_from_dir(
            str(APP_DIR), method_map=[("**.py", "python")], keywords={"t": None}
        )
    }
    in_catalog = {message.id for message in MESSAGES if message.id}
    assert extracted == in_catalog


# --- (c) every pydantic error kind has a Vietnamese template -----------------------------


def _english_template(kind: str) -> str:
    # pydantic_core names the context an error kind needs; give it values of the right sort.
    ctx: dict[str, Any] = {}
    for _ in range(10):
        try:
            return PydanticKnownError(kind, ctx or None).message_template  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError) as error:
            match = re.search(r"'(\w+)' (required in context|context value must be)", str(error))
            if match is None:
                raise
            ctx[match.group(1)] = "x" if match.group(2).startswith("required") else 1
    raise AssertionError(kind)


def _custom_kinds() -> dict[str, str]:
    """The kinds of our own PydanticCustomError("kind", "English template")."""
    kinds = {}
    for path in APP_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "PydanticCustomError"
            ):
                kind, template = (arg.value for arg in node.args[:2])  # type: ignore[attr-defined]
                kinds[kind] = template
    return kinds


def test_every_pydantic_error_kind_has_a_vietnamese_template() -> None:
    # Every kind pydantic_core can raise, not only those seen so far: an upgrade that adds one
    # fails here before a client meets its English. And the kinds of our own validators.
    english = {kind: _english_template(kind) for kind in typing.get_args(ErrorType)}
    assert len(english) > 100
    custom = _custom_kinds()
    assert "number_type" in custom
    english |= custom
    for kind, template in english.items():
        message = PYDANTIC.get(kind)
        assert message is not None, kind
        assert message.string, kind
        assert placeholders(str(message.string)) <= placeholders(template), kind
    assert {m.id for m in PYDANTIC if m.id} == set(english)


# --- Accept-Language ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "vi"),
        ("", "vi"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("vi-VN", "vi"),
        ("fr", "vi"),
        ("fr, en;q=0.5", "en"),
        ("en;q=0.3, vi;q=0.9", "vi"),
        ("vi;q=0, en;q=0.1", "en"),
        ("en;q=0", "vi"),
        ("*", "vi"),
        ("EN", "en"),
        ("en;q=0.8, vi;q=0.8", "en"),  # a tie goes to the first named
        ("en;q=abc", "en"),
    ],
)
def test_negotiate(header: str | None, expected: str) -> None:
    assert negotiate(header, "vi") == expected


def test_negotiate_falls_back_to_the_given_default() -> None:
    assert negotiate("de", "en") == "en"
    assert negotiate("*", "en") == "en"


def test_parameters_render_in_the_language() -> None:
    from app.models import CommitmentStatus, Role  # noqa: PLC0415

    message = t(
        "Commitment {id} is {status}: only a draft can be edited.",
        id=3,
        status=CommitmentStatus.draft,
    )
    assert message.render("en") == "Commitment 3 is draft: only a draft can be edited."
    assert message.render("vi") == (
        "Cam kết 3 đang ở trạng thái “Dự thảo”: chỉ cam kết dự thảo mới sửa được."
    )
    roles = joined([Role.manager, Role.reporter], "or")
    assert roles.render("en") == "manager or reporter"
    assert roles.render("vi") == "Quản lý hoặc Cập nhật báo cáo"


# --- (d) through the API -----------------------------------------------------------------


@pytest.fixture
def no_fallback(caplog: pytest.LogCaptureFixture) -> Any:
    """Fails the test if a text had no Vietnamese translation and went out in English."""
    caplog.set_level(logging.WARNING, logger=i18n.__name__)
    yield
    missing = [r.getMessage() for r in caplog.records if r.name == i18n.__name__]
    assert not missing, missing


def test_not_found_in_both_languages(client: TestClient, no_fallback: None) -> None:
    vi = client.get("/api/v1/units/999999", headers={"Accept-Language": "vi"})
    body = assert_problem(vi, 404)
    assert body["title"] == "Không tìm thấy"
    assert body["detail"] == "Đơn vị 999999 không tồn tại."
    assert vi.headers["content-language"] == "vi"
    assert "Accept-Language" in vi.headers["vary"]

    en = client.get("/api/v1/units/999999", headers={"Accept-Language": "en-GB, vi;q=0.5"})
    body = assert_problem(en, 404)
    assert body["title"] == "Not Found"
    assert body["detail"] == "Unit 999999 does not exist."
    assert en.headers["content-language"] == "en"
    assert body["type"] == "/problems/not-found"


def test_validation_errors_in_both_languages(client: TestClient, no_fallback: None) -> None:
    bad = {"code": "", "kind": "village", "name": "A\x01", "colour": "red", "parent_id": "1"}

    vi = assert_problem(
        client.post("/api/v1/units", json=bad, headers={"Accept-Language": "vi"}), 422
    )
    en = assert_problem(
        client.post("/api/v1/units", json=bad, headers={"Accept-Language": "en"}), 422
    )
    # The same fields and kinds, in two languages.
    assert [(e["loc"], e["type"]) for e in vi["errors"]] == [
        (e["loc"], e["type"]) for e in en["errors"]
    ]
    by_field = {e["loc"][-1]: e for e in vi["errors"]}
    assert by_field["code"]["msg"] == "Chuỗi phải có ít nhất 1 ký tự"
    assert by_field["kind"]["type"] == "enum"
    assert by_field["kind"]["msg"].startswith("Giá trị phải là 'central_committee', ")
    assert by_field["kind"]["msg"].endswith(" hoặc 'department'")
    assert by_field["name"]["msg"] == "không được dùng ký tự điều khiển"
    assert by_field["colour"]["msg"] == "Không được phép có trường này"
    assert by_field["parent_id"]["msg"] == (
        "Giá trị phải là một số, không phải chuỗi ký tự hay true/false"
    )
    assert vi["title"] == "Nội dung không hợp lệ"
    assert vi["detail"] == f"Yêu cầu có {len(vi['errors'])} trường không hợp lệ."

    en_by_field = {e["loc"][-1]: e for e in en["errors"]}
    assert en_by_field["code"]["msg"] == "String should have at least 1 character"
    assert en_by_field["name"]["msg"] == "Value error, control characters are not allowed"
    assert en_by_field["colour"]["msg"] == "Extra inputs are not permitted"
    assert en["title"] == "Unprocessable Content"
    assert en["detail"] == f"The request has {len(en['errors'])} invalid fields."


def test_missing_field_and_domain_rule_in_vietnamese(client: TestClient, no_fallback: None) -> None:
    vi = {"Accept-Language": "vi"}
    missing = assert_problem(client.post("/api/v1/units", json={"code": "X1"}, headers=vi), 422)
    assert {e["msg"] for e in missing["errors"]} == {"Trường này là bắt buộc"}

    cell = make_unit(client, kind="party_cell")
    below = client.post(
        "/api/v1/units",
        json={"code": "X2", "name": "Tổ đảng", "kind": "party_cell", "parent_id": cell["id"]},
        headers=vi,
    )
    body = assert_problem(below, 409)
    # The unit kind is named by its official label.
    assert body["detail"] == "Chi bộ không thể có đơn vị trực thuộc."
    assert body["title"] == "Xung đột"


def test_the_default_language_is_a_setting(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, no_fallback: None
) -> None:
    monkeypatch.setattr(settings, "default_language", "vi")
    body = assert_problem(client.get("/api/v1/units/999999"), 404)
    assert body["detail"] == "Đơn vị 999999 không tồn tại."
    # A language the service does not speak gets the default too.
    response = client.get("/api/v1/units/999999", headers={"Accept-Language": "fr"})
    assert response.headers["content-language"] == "vi"
    monkeypatch.setattr(settings, "default_language", "en")
    response = client.get("/api/v1/units/999999", headers={"Accept-Language": "fr"})
    assert response.json()["detail"] == "Unit 999999 does not exist."


def test_framework_errors_in_vietnamese(client: TestClient, no_fallback: None) -> None:
    vi = {"Accept-Language": "vi"}
    body = assert_problem(client.get("/api/v1/nowhere", headers=vi), 404)
    assert body["detail"] == "Không có tài nguyên tại GET /api/v1/nowhere."
    body = assert_problem(client.put("/api/v1/units", headers=vi), 405)
    assert body["title"] == "Phương thức không được hỗ trợ"
    assert body["detail"].startswith("/api/v1/units chấp nhận ")
    big = b"[" + b"0," * settings.max_body_bytes + b"0]"
    body = assert_problem(client.post("/api/v1/units", content=big, headers=vi), 413)
    assert body["title"] == "Nội dung quá lớn"
    assert body["detail"] == f"Nội dung yêu cầu lớn hơn {settings.max_body_bytes} byte."


def test_sign_in_problem_in_vietnamese(anon: TestClient, no_fallback: None) -> None:
    response = anon.get("/api/v1/units", headers={"Accept-Language": "vi"})
    body = assert_problem(response, 401)
    assert body["title"] == "Chưa xác thực"
    assert body["detail"] == ("Hãy đăng nhập trước: gửi mã truy cập (bearer token) hoặc X-API-Key.")
