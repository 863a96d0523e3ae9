import pytest
from fastapi.testclient import TestClient

from tests.factories import assert_problem, make_directive

DIRECTIVES = "/api/v1/directives"

DIRECTIVE_05 = {
    "code": "05-CT/TW",
    "title": "Về đẩy mạnh học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "issuer": "Bộ Chính trị",
    "issued_on": "2016-05-15",
    "mottos": ["Trên trước, dưới sau", "Trong trước, ngoài sau", "Học đi đôi với làm theo"],
    "summary": "Đăng ký việc khó làm tiêu chí cam kết.",
}


def test_crud_of_a_directive(client: TestClient) -> None:
    created = client.post(DIRECTIVES, json=DIRECTIVE_05)
    assert created.status_code == 201
    directive = created.json()
    assert created.headers["location"].endswith(f"{DIRECTIVES}/{directive['id']}")
    assert {k: directive[k] for k in DIRECTIVE_05} == DIRECTIVE_05
    assert client.get(f"{DIRECTIVES}/{directive['id']}").json() == directive

    patched = client.patch(
        f"{DIRECTIVES}/{directive['id']}", json={"mottos": ["Trên trước, dưới sau"]}
    )
    assert patched.status_code == 200
    assert patched.json()["mottos"] == ["Trên trước, dưới sau"]
    assert patched.json()["title"] == DIRECTIVE_05["title"]

    assert client.delete(f"{DIRECTIVES}/{directive['id']}").status_code == 204
    assert_problem(client.get(f"{DIRECTIVES}/{directive['id']}"), 404)
    assert_problem(client.delete(f"{DIRECTIVES}/{directive['id']}"), 404)


def test_list_and_search(client: TestClient) -> None:
    older = make_directive(client, issued_on="2011-01-01", title="Chỉ thị cũ")
    newer = client.post(DIRECTIVES, json=DIRECTIVE_05).json()
    listed = client.get(DIRECTIVES).json()
    assert [d["id"] for d in listed["items"]] == [newer["id"], older["id"]]
    assert listed["total"] == 2
    found = client.get(DIRECTIVES, params={"q": "tu tuong dao duc"}).json()
    assert [d["id"] for d in found["items"]] == [newer["id"]]
    assert client.get(DIRECTIVES, params={"q": "05-ct/tw"}).json()["total"] == 1


def test_code_is_unique_on_create_and_patch(client: TestClient) -> None:
    client.post(DIRECTIVES, json=DIRECTIVE_05)
    assert_problem(client.post(DIRECTIVES, json=DIRECTIVE_05), 409)
    other = make_directive(client)
    assert_problem(client.patch(f"{DIRECTIVES}/{other['id']}", json={"code": "05-CT/TW"}), 409)
    assert client.get(f"{DIRECTIVES}/{other['id']}").json() == other
    assert client.get(DIRECTIVES).json()["total"] == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": ""}, "code"),
        ({"title": "t" * 501}, "title"),
        ({"issuer": None}, "issuer"),
        ({"issued_on": "2016-13-01"}, "issued_on"),
        ({"issued_on": None}, "issued_on"),
        ({"mottos": "Trên trước"}, "mottos"),
        ({"mottos": [""]}, "mottos"),
        ({"mottos": ["m" * 256]}, "mottos"),
        ({"mottos": ["m"] * 21}, "mottos"),
        ({"summary": "s" * 5001}, "summary"),
        ({"title": "a\x07b"}, "title"),
    ],
)
def test_bad_payloads_are_422_and_change_nothing(
    client: TestClient, change: dict[str, object], field: str
) -> None:
    body = assert_problem(client.post(DIRECTIVES, json=DIRECTIVE_05 | change), 422)
    assert any(e["loc"][:2] == ["body", field] for e in body["errors"])
    assert client.get(DIRECTIVES).json()["total"] == 0
    existing = make_directive(client)
    assert_problem(client.patch(f"{DIRECTIVES}/{existing['id']}", json=change), 422)
    assert client.get(f"{DIRECTIVES}/{existing['id']}").json() == existing
