"""GET /api/v1/meta/enums: every enum of the API, each value with its Vietnamese label."""

from typing import Any

from fastapi.testclient import TestClient

from tests.factories import make_directive, make_person, make_tree

ENUMS = "/api/v1/meta/enums"


def labels(served: dict[str, list[dict[str, str]]], name: str) -> dict[str, str]:
    return {v["value"]: v["label"] for v in served[name]}


def test_every_enum_with_its_labels(login: Any, client: TestClient) -> None:
    viewer = login("viewer", make_tree(client)["cell_a"]["id"])
    response = viewer.get(ENUMS)
    assert response.status_code == 200, response.text
    served = response.json()
    assert set(served) >= {
        "unit_kind",
        "post",
        "role",
        "commitment_kind",
        "commitment_category",
        "commitment_status",
        "commitment_action",
    }
    for name, values in served.items():
        assert values, name
        assert len({v["value"] for v in values}) == len(values), name
        for value in values:
            assert set(value) == {"value", "label"}
            assert value["label"].strip(), (name, value)
            assert value["label"] != value["value"], (name, value)

    assert labels(served, "commitment_category") == {
        "cadre_conduct": "Tác phong cán bộ, công chức khi tiếp xúc với nhân dân",
        "land_management": "Quản lý, sử dụng đất đai",
        "environment": "Môi trường",
        "site_clearance": "Giải phóng mặt bằng",
        "complaints_denunciations": "Giải quyết khiếu nại, tố cáo",
        "land_violations": "Xử lý vi phạm đất đai",
        "party_recruitment": "Tạo nguồn phát triển đảng viên",
        "other": "Khác",
    }
    assert labels(served, "commitment_kind") == {
        "difficult_task": "Việc khó",
        "pressing_issue": "Vấn đề bức xúc, nổi cộm",
        "weak_link": "Khâu yếu",
    }
    assert list(labels(served, "commitment_status")) == [
        "draft",
        "registered",
        "accepted",
        "in_progress",
        "completed",
        "not_completed",
        "escalated",
        "cancelled",
    ]
    assert list(labels(served, "commitment_action")) == [
        "register",
        "accept",
        "return",
        "start",
        "complete",
        "report_not_completed",
        "escalate",
        "cancel",
    ]
    assert labels(served, "unit_kind")["party_cell"] == "Chi bộ"
    assert labels(served, "unit_kind")["district_committee"] == "Huyện ủy"
    assert labels(served, "post")["secretary"] == "Bí thư"
    assert set(labels(served, "role")) == {"admin", "manager", "reporter", "viewer"}


def _response_enums(schema: dict[str, Any]) -> dict[str, frozenset[str]]:
    """The enum schemas reachable from the operations' response bodies: values clients get back
    and have to label."""
    components = schema["components"]["schemas"]
    found: dict[str, frozenset[str]] = {}
    seen: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in seen:
                    seen.add(name)
                    target = components[name]
                    if "enum" in target:
                        found[name] = frozenset(target["enum"])
                    walk(target)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for item in schema["paths"].values():
        for operation in item.values():
            walk(operation.get("responses", {}))
    return found


def test_every_enum_in_a_response_is_listed(client: TestClient) -> None:
    """Compared with the served OpenAPI document, so that a new enum cannot be forgotten."""
    served = client.get(ENUMS).json()
    listed = {frozenset(v["value"] for v in values) for values in served.values()}
    in_responses = _response_enums(client.get("/openapi.json").json())
    assert "CommitmentStatus" in in_responses
    missing = sorted(name for name, values in in_responses.items() if values not in listed)
    assert missing == [], f"enums the API answers with but /meta/enums does not list: {missing}"


def test_the_labels_in_records_are_the_listed_ones(client: TestClient) -> None:
    served = client.get(ENUMS).json()
    tree = make_tree(client)
    person = make_person(client)
    directive = make_directive(client)
    position = client.post(
        "/api/v1/positions",
        json={"person_id": person["id"], "unit_id": tree["district"]["id"], "post": "secretary"},
    ).json()
    assert position["post_label"] == labels(served, "post")["secretary"]
    for unit in tree.values():
        assert unit["kind_label"] == labels(served, "unit_kind")[unit["kind"]]

    body = {
        "unit_id": tree["commune"]["id"],
        "registered_with_id": tree["district"]["id"],
        "directive_id": directive["id"],
        "year": 2022,
        "kind": "pressing_issue",
        "category": "site_clearance",
        "title": "Giải phóng mặt bằng khu công nghiệp",
    }
    commitment = client.post("/api/v1/commitments", json=body).json()
    assert commitment["kind_label"] == labels(served, "commitment_kind")["pressing_issue"]
    assert commitment["category_label"] == labels(served, "commitment_category")["site_clearance"]
    assert commitment["status_label"] == labels(served, "commitment_status")["draft"]
    workflow = client.get("/api/v1/commitments/workflow").json()
    for transition in workflow:
        assert (
            transition["action_label"] == labels(served, "commitment_action")[transition["action"]]
        )
