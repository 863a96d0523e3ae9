"""Small factories that create records through the API, as a client would."""

from datetime import date, timedelta
from itertools import count
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.db import engine
from app.core.security import create_access_token, hash_password
from app.models import Grant, Role, User
from tests.helpers import ok

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


def _create(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """What the POST of the body created (its status checked)."""
    created: dict[str, Any] = ok(client.post(path, json=body), 201)
    return created


def make_unit(client: TestClient, **fields: Any) -> dict[str, Any]:
    n = next(_seq)
    body = {
        "code": f"U-{n}",
        "name": f"Chi bộ thử nghiệm {n}",
        "kind": "commune_committee",
    } | fields
    return _create(client, "/api/v1/units", body)


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
    return _create(client, "/api/v1/directives", body)


def make_person(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"full_name": f"Nguyễn Văn Thử {next(_seq)}"} | fields
    return _create(client, "/api/v1/people", body)


def make_target(
    client: TestClient, unit: dict[str, Any], *, year: int, target: int, **fields: Any
) -> dict[str, Any]:
    """The unit's admission target for a year (year and target by name: both are numbers)."""
    body = {"unit_id": unit["id"], "year": year, "target": target} | fields
    return _create(client, "/api/v1/recruitment/targets", body)


def make_candidate(
    client: TestClient, unit: dict[str, Any], since: str, **fields: Any
) -> dict[str, Any]:
    """A new candidate of the unit, followed as a source since that day."""
    body = {
        "unit_id": unit["id"],
        "full_name": f"Nguyễn Thị Nguồn {next(_seq)}",
        "source_since": since,
    } | fields
    return _create(client, "/api/v1/recruitment/candidates", body)


def make_admitted(client: TestClient, unit: dict[str, Any], on: date) -> dict[str, Any]:
    """A candidate of the unit taken through the pipeline to admission on `on`."""
    candidate = make_candidate(client, unit, (on - timedelta(days=60)).isoformat())
    steps = [("complete_course", 45), ("apply", 30), ("verify", 15), ("admit", 0)]
    for action, days_before in steps:
        candidate = ok(
            client.post(
                f"/api/v1/recruitment/candidates/{candidate['id']}/transitions",
                json={
                    "action": action,
                    "on": (on - timedelta(days=days_before)).isoformat(),
                    "decision_number": "125-QĐ/ĐU",
                },
            )
        )
    return candidate


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
    return _create(client, "/api/v1/recruitment/outcomes", body)


# Actions that lead a new draft commitment to each status (the workflow of issue 4), and whatever
# any action may require (the others ignore it).
COMMITMENT_PATHS: dict[str, list[str]] = {
    "draft": [],
    "registered": ["register"],
    "accepted": ["register", "accept"],
    "in_progress": ["register", "accept", "start"],
    "completed": ["register", "accept", "start", "complete"],
    "not_completed": ["register", "accept", "start", "report_not_completed"],
    "escalated": ["register", "accept", "start", "escalate"],
    "cancelled": ["cancel"],
}
COMMITMENT_FIELDS = {
    "note": "Ghi chú",
    "result_summary": "Kết nạp 15 đảng viên mới",
    "escalated_to": "Thanh tra huyện Bình Xuyên",
}


def commitment_body(
    world: dict[str, Any],
    *,
    unit: str = "commune",
    superior: str = "district",
    year: int = 2022,
    **fields: Any,
) -> dict[str, Any]:
    """A draft commitment of world[unit] registered with world[superior]; the world is
    make_tree's units and a "directive"."""
    return {
        "unit_id": world[unit]["id"],
        "registered_with_id": world[superior]["id"],
        "directive_id": world["directive"]["id"],
        "year": year,
        "kind": "difficult_task",
        "category": "party_recruitment",
        "title": "Tháo gỡ khó khăn trong tạo nguồn phát triển đảng viên",
        "description": "Giao chỉ tiêu kết nạp đảng viên cho từng chi bộ.",
        "success_criteria": ["Mỗi chi bộ kết nạp ít nhất 1 đảng viên"],
        "deadline": f"{year}-12-31",
    } | fields


def make_commitment(
    client: TestClient, world: dict[str, Any], status: str = "draft", /, **fields: Any
) -> dict[str, Any]:
    """A commitment (see commitment_body) walked from a new draft to `status` by the client.

    `status` is positional only: a `status=` keyword is a field of the body, for a test that sends
    one to see it ignored."""
    commitment = _create(client, "/api/v1/commitments", commitment_body(world, **fields))
    for action in COMMITMENT_PATHS[status]:
        path = f"/api/v1/commitments/{commitment['id']}/transitions"
        commitment = ok(client.post(path, json={"action": action} | COMMITMENT_FIELDS))
    assert commitment["status"] == status
    return commitment


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["type"]
    return body


def make_line(http: httpx.Client, cells: int = 20) -> dict[str, int]:
    """A district, a commune below it and `cells` party cells below the commune."""
    ids: dict[str, int] = {}
    for code, kind, parent in [
        ("HU", "district_committee", None),
        ("DX", "commune_committee", "HU"),
        *((f"CB{i}", "party_cell", "DX") for i in range(cells)),
    ]:
        body = {"code": code, "name": code, "kind": kind, "parent_id": ids.get(parent or "")}
        created = http.post("/api/v1/units", json=body)
        assert created.status_code == 201, created.text
        ids[code] = created.json()["id"]
    return ids


def make_discipline(
    client: TestClient, unit: dict[str, Any], issued_by: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    """A disciplinary decision against the unit (or, with person_id, a person of it)."""
    body = {
        "unit_id": unit["id"],
        "form": "warning",
        "decision_number": f"{next(_seq)}-QĐ/ĐU",
        "decided_on": "2026-05-04",
        "issued_by_id": issued_by["id"],
    } | fields
    return _create(client, "/api/v1/disciplines", body)
