"""Small factories that create records through the API, as a client would."""

from itertools import count
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.db import engine
from app.core.security import create_access_token, hash_password
from app.models import Grant, Role, User

_seq = count(1)
# Hashing with argon2 takes a tenth of a second: do it once for every user the tests make.
PASSWORD = "correct horse battery staple"
PASSWORD_HASH = hash_password(PASSWORD)


def make_principal(username: str, role: Role, unit_id: int | None) -> dict[str, str]:
    """A user with one grant, straight in the database; returns bearer headers for them."""
    with Session(engine) as session:
        user = User(username=username, full_name=username.title(), password_hash=PASSWORD_HASH)
        session.add(user)
        session.flush()
        assert user.id is not None
        session.add(Grant(user_id=user.id, role=role, unit_id=unit_id))
        session.commit()
        token, _ = create_access_token(user.id)
    return {"Authorization": f"Bearer {token}"}


def make_unit(client: TestClient, **fields: Any) -> dict[str, Any]:
    n = next(_seq)
    body = {
        "code": f"U-{n}",
        "name": f"Chi bộ thử nghiệm {n}",
        "kind": "commune_committee",
    } | fields
    response = client.post("/api/v1/units", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def make_tree(client: TestClient) -> dict[str, dict[str, Any]]:
    """province → district → (department, commune → two cells)."""
    province = make_unit(client, name="Tỉnh ủy Vĩnh Phúc", kind="province_committee")
    district = make_unit(
        client, name="Huyện ủy Bình Xuyên", kind="district_committee", parent_id=province["id"]
    )
    department = make_unit(
        client, name="Ban Tuyên giáo Huyện ủy", kind="department", parent_id=district["id"]
    )
    commune = make_unit(
        client, name="Đảng bộ xã Hương Sơn", kind="commune_committee", parent_id=district["id"]
    )
    cell_a = make_unit(client, name="Chi bộ thôn A", kind="party_cell", parent_id=commune["id"])
    cell_b = make_unit(client, name="Chi bộ thôn B", kind="party_cell", parent_id=commune["id"])
    return {
        "province": province,
        "district": district,
        "department": department,
        "commune": commune,
        "cell_a": cell_a,
        "cell_b": cell_b,
    }


def make_directive(client: TestClient, **fields: Any) -> dict[str, Any]:
    n = next(_seq)
    body = {
        "code": f"{n:02d}-CT/TW",
        "title": f"Chỉ thị thử nghiệm {n}",
        "issuer": "Bộ Chính trị",
        "issued_on": "2016-05-15",
    } | fields
    response = client.post("/api/v1/directives", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def make_person(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"full_name": f"Nguyễn Văn Thử {next(_seq)}"} | fields
    response = client.post("/api/v1/people", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def make_target(
    client: TestClient, unit: dict[str, Any], *, year: int, target: int, **fields: Any
) -> dict[str, Any]:
    """The unit's admission target for a year (year and target by name: both are numbers)."""
    body = {"unit_id": unit["id"], "year": year, "target": target} | fields
    response = client.post("/api/v1/recruitment/targets", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def outcome_body(
    unit: dict[str, Any], start: str, end: str, *, admitted: int = 3, **fields: Any
) -> dict[str, Any]:
    return {
        "unit_id": unit["id"],
        "period_start": start,
        "period_end": end,
        "admitted": admitted,
    } | fields


def make_outcome(
    client: TestClient,
    unit: dict[str, Any],
    start: str,
    end: str,
    *,
    admitted: int = 3,
    **fields: Any,
) -> dict[str, Any]:
    """Admissions the unit reports as a count for a period."""
    body = outcome_body(unit, start, end, admitted=admitted, **fields)
    response = client.post("/api/v1/recruitment/outcomes", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["type"]
    return body
