from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from app.core import clock
from tests.factories import assert_problem, make_tree, make_unit
from tests.helpers import ids

UNITS = "/api/v1/units"


def test_create_and_get_a_unit_with_its_vietnamese_kind_label(client: TestClient) -> None:
    province = make_unit(client, code="TU-VP", name="Tỉnh ủy Vĩnh Phúc", kind="province_committee")
    response = client.post(
        UNITS,
        json={
            "code": "HU-BX",
            "name": "Huyện ủy Bình Xuyên",
            "kind": "district_committee",
            "parent_id": province["id"],
            "valid_from": "1977-01-01",
        },
    )
    assert response.status_code == 201
    district = response.json()
    assert response.headers["location"].endswith(f"{UNITS}/{district['id']}")
    assert district["kind_label"] == "Huyện ủy"
    assert district["level"] == 1
    assert district["parent_id"] == province["id"]
    assert district["valid_from"] == "1977-01-01"
    assert district["valid_to"] is None
    got = client.get(f"{UNITS}/{district['id']}")
    assert got.status_code == 200
    assert got.json() == district


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        ("central_committee", "Ban Chấp hành Trung ương"),
        ("province_committee", "Tỉnh ủy"),
        ("district_committee", "Huyện ủy"),
        ("commune_committee", "Đảng ủy xã"),
        ("grassroots_committee", "Đảng ủy cơ sở"),
        ("party_cell", "Chi bộ"),
        ("agency", "Cơ quan"),
        ("department", "Ban"),
    ],
)
def test_every_kind_carries_its_label(client: TestClient, kind: str, label: str) -> None:
    assert make_unit(client, kind=kind)["kind_label"] == label


@pytest.mark.parametrize(
    "query", ["huong son", "HƯƠNG SƠN", "Hương Sơn", "huong", "dang bo xa", "đảng", "DANG"]
)
def test_search_ignores_accents_and_case(client: TestClient, query: str) -> None:
    tree = make_tree(client)
    response = client.get(UNITS, params={"q": query})
    assert response.status_code == 200
    assert tree["commune"]["id"] in ids(response)


def test_search_matches_codes_and_ignores_punctuation(client: TestClient) -> None:
    unit = make_unit(client, code="DX-HUONGSON", name="Đảng bộ xã Hương Sơn")
    make_unit(client, code="OTHER")
    for query in ("dx-huongson", "DX HUONGSON", "dx_huongson", "xã, hương"):
        assert ids(client.get(UNITS, params={"q": query})) == [unit["id"]], query


def test_list_envelope_pagination_and_stable_order(client: TestClient) -> None:
    tree = make_tree(client)
    first = client.get(UNITS, params={"limit": 4}).json()
    second = client.get(UNITS, params={"limit": 4, "offset": 4}).json()
    assert first["total"] == second["total"] == len(tree)
    assert (first["limit"], first["offset"]) == (4, 0)
    everything = [u["id"] for u in first["items"] + second["items"]]
    assert sorted(everything) == sorted(u["id"] for u in tree.values())
    assert everything[0] == tree["province"]["id"]  # ordered by level first


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "x"}])
def test_bad_paging_is_a_problem(client: TestClient, params: dict[str, object]) -> None:
    body = assert_problem(client.get(UNITS, params=params), 422)
    assert body["errors"][0]["loc"][0] == "query"


def test_filters_kind_parent_and_subtree(client: TestClient) -> None:
    tree = make_tree(client)
    cells = client.get(UNITS, params={"kind": "party_cell"})
    assert sorted(ids(cells)) == sorted([tree["cell_a"]["id"], tree["cell_b"]["id"]])
    children = client.get(UNITS, params={"parent_id": tree["district"]["id"]})
    assert sorted(ids(children)) == sorted([tree["department"]["id"], tree["commune"]["id"]])
    subtree = client.get(UNITS, params={"root_id": tree["commune"]["id"]})
    assert sorted(ids(subtree)) == sorted(
        [tree["commune"]["id"], tree["cell_a"]["id"], tree["cell_b"]["id"]]
    )
    searched = client.get(UNITS, params={"root_id": tree["district"]["id"], "q": "thon a"})
    assert ids(searched) == [tree["cell_a"]["id"]]


def test_unknown_filter_ids_give_empty_lists(client: TestClient) -> None:
    make_tree(client)
    assert client.get(UNITS, params={"root_id": 999999}).json()["total"] == 0


def test_children_descendants_ancestors(client: TestClient) -> None:
    tree = make_tree(client)
    district = tree["district"]["id"]
    children = client.get(f"{UNITS}/{district}/children")
    assert sorted(ids(children)) == sorted([tree["department"]["id"], tree["commune"]["id"]])
    descendants = client.get(f"{UNITS}/{district}/descendants")
    assert descendants.json()["total"] == 4
    assert district not in ids(descendants)
    shallow = client.get(f"{UNITS}/{district}/descendants", params={"max_depth": 1})
    assert sorted(ids(shallow)) == sorted(ids(children))
    ancestors = client.get(f"{UNITS}/{tree['cell_a']['id']}/ancestors")
    assert [u["id"] for u in ancestors.json()] == [
        tree["province"]["id"],
        tree["district"]["id"],
        tree["commune"]["id"],
    ]
    assert client.get(f"{UNITS}/{tree['province']['id']}/ancestors").json() == []


def test_tree_is_nested_and_depth_limited(client: TestClient) -> None:
    tree = make_tree(client)
    root = client.get(f"{UNITS}/{tree['province']['id']}/tree").json()
    assert root["id"] == tree["province"]["id"]
    (district,) = root["children"]
    assert district["id"] == tree["district"]["id"]
    assert sorted(c["name"] for c in district["children"]) == [
        "Ban Tuyên giáo Huyện ủy",
        "Đảng bộ xã Hương Sơn",
    ]
    commune = next(c for c in district["children"] if c["kind"] == "commune_committee")
    assert len(commune["children"]) == 2
    shallow = client.get(f"{UNITS}/{tree['province']['id']}/tree", params={"max_depth": 1}).json()
    assert shallow["children"][0]["children"] == []


@pytest.mark.parametrize("suffix", ["", "/children", "/descendants", "/ancestors", "/tree"])
def test_unknown_unit_is_404_everywhere(client: TestClient, suffix: str) -> None:
    body = assert_problem(client.get(f"{UNITS}/424242{suffix}"), 404)
    assert "424242" in body["detail"]


@pytest.mark.parametrize("bad_id", ["0", "99999999999999999999"])
def test_ids_out_of_range_are_422(client: TestClient, bad_id: str) -> None:
    assert_problem(client.get(f"{UNITS}/{bad_id}"), 422)


@pytest.mark.parametrize("not_an_id", ["abc", "-1", "1.5"])
def test_a_path_segment_that_is_no_id_names_no_resource(client: TestClient, not_an_id: str) -> None:
    # An id is digits: anything else names another path (there is none), never a unit.
    assert_problem(client.get(f"{UNITS}/{not_an_id}"), 404)


def test_code_is_unique(client: TestClient) -> None:
    make_unit(client, code="DUP")
    body = assert_problem(
        client.post(UNITS, json={"code": "DUP", "name": "x", "kind": "agency"}), 409
    )
    assert "DUP" in body["detail"]
    assert client.get(UNITS).json()["total"] == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "x", "kind": "agency"}, "code"),
        ({"code": "", "name": "x", "kind": "agency"}, "code"),
        ({"code": "has space", "name": "x", "kind": "agency"}, "code"),
        ({"code": "C" * 51, "name": "x", "kind": "agency"}, "code"),
        ({"code": "C", "name": "", "kind": "agency"}, "name"),
        ({"code": "C", "name": "   ", "kind": "agency"}, "name"),
        ({"code": "C", "name": "n" * 256, "kind": "agency"}, "name"),
        ({"code": "C", "name": "bad\x00name", "kind": "agency"}, "name"),
        ({"code": "C", "name": "x", "kind": "ministry"}, "kind"),
        ({"code": "C", "name": "x"}, "kind"),
        ({"code": "C", "name": "x", "kind": "agency", "valid_from": "2025-02-30"}, "valid_from"),
        ({"code": "C", "name": "x", "kind": "agency", "parent_id": "one"}, "parent_id"),
        ({"code": "C", "name": "x", "kind": "agency", "parent_id": 0}, "parent_id"),
        ({"code": 12, "name": "x", "kind": "agency"}, "code"),
    ],
)
def test_bad_payloads_are_422_and_change_nothing(
    client: TestClient, payload: dict[str, object], field: str
) -> None:
    body = assert_problem(client.post(UNITS, json=payload), 422)
    assert any(e["loc"][:2] == ["body", field] for e in body["errors"]), body
    assert client.get(UNITS, params={"include_closed": True}).json()["total"] == 0


def test_not_json_is_422(client: TestClient) -> None:
    response = client.post(
        UNITS, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(response, 422)


def test_parent_must_exist_and_be_open_and_not_a_cell(client: TestClient) -> None:
    body = assert_problem(
        client.post(UNITS, json={"code": "C", "name": "x", "kind": "agency", "parent_id": 99999}),
        422,
    )
    assert body["errors"][0]["loc"] == ["body", "parent_id"]
    closed = make_unit(client)
    assert (
        client.post(f"{UNITS}/{closed['id']}/close", json={"valid_to": "2025-07-01"}).status_code
        == 200
    )
    assert_problem(
        client.post(
            UNITS, json={"code": "C", "name": "x", "kind": "agency", "parent_id": closed["id"]}
        ),
        409,
    )
    cell = make_unit(client, kind="party_cell")
    assert_problem(
        client.post(
            UNITS, json={"code": "D", "name": "x", "kind": "agency", "parent_id": cell["id"]}
        ),
        409,
    )
    assert client.get(UNITS, params={"include_closed": True}).json()["total"] == 2


def test_patch_changes_only_what_is_sent_and_refreshes_search(client: TestClient) -> None:
    unit = make_unit(client, name="Đảng bộ xã Cũ", kind="commune_committee")
    response = client.patch(f"{UNITS}/{unit['id']}", json={"name": "Đảng bộ xã Hương Sơn"})
    assert response.status_code == 200
    patched = response.json()
    assert patched["name"] == "Đảng bộ xã Hương Sơn"
    assert patched["code"] == unit["code"]
    assert patched["updated_at"] > unit["updated_at"]
    assert ids(client.get(UNITS, params={"q": "huong son"})) == [unit["id"]]
    assert ids(client.get(UNITS, params={"q": "xa cu"})) == []


@pytest.mark.parametrize(
    "payload",
    [{"name": None}, {"code": None}, {"kind": None}, {"name": ""}, {"kind": "x"}, {"code": "a b"}],
)
def test_patch_rejects_bad_values(client: TestClient, payload: dict[str, object]) -> None:
    unit = make_unit(client)
    assert_problem(client.patch(f"{UNITS}/{unit['id']}", json=payload), 422)
    assert client.get(f"{UNITS}/{unit['id']}").json() == unit


def test_patch_code_collision_is_409(client: TestClient) -> None:
    make_unit(client, code="TAKEN")
    unit = make_unit(client)
    assert_problem(client.patch(f"{UNITS}/{unit['id']}", json={"code": "TAKEN"}), 409)
    assert client.get(f"{UNITS}/{unit['id']}").json() == unit


def test_move_a_subtree_updates_levels_and_queries(client: TestClient) -> None:
    tree = make_tree(client)
    other = make_unit(client, kind="district_committee", parent_id=tree["province"]["id"])
    response = client.patch(f"{UNITS}/{tree['commune']['id']}", json={"parent_id": other["id"]})
    assert response.status_code == 200
    assert response.json()["parent_id"] == other["id"]
    ancestors = client.get(f"{UNITS}/{tree['cell_a']['id']}/ancestors").json()
    assert [u["id"] for u in ancestors] == [
        tree["province"]["id"],
        other["id"],
        tree["commune"]["id"],
    ]
    assert client.get(f"{UNITS}/{tree['district']['id']}/descendants").json()["total"] == 1
    under_other = client.get(f"{UNITS}/{other['id']}/descendants").json()
    assert under_other["total"] == 3
    assert {u["level"] for u in under_other["items"] if u["kind"] == "party_cell"} == {3}
    # make the commune a root, then move it back: levels follow
    root = client.patch(f"{UNITS}/{tree['commune']['id']}", json={"parent_id": None}).json()
    assert (root["parent_id"], root["level"]) == (None, 0)
    assert client.get(f"{UNITS}/{tree['cell_a']['id']}").json()["level"] == 1
    assert client.get(f"{UNITS}/{tree['cell_a']['id']}/ancestors").json()[0]["id"] == root["id"]


def test_moving_under_own_subtree_is_a_409_cycle(client: TestClient) -> None:
    tree = make_tree(client)
    for target in ("commune", "district"):
        body = assert_problem(
            client.patch(
                f"{UNITS}/{tree['district']['id']}", json={"parent_id": tree[target]["id"]}
            ),
            409,
        )
        assert "cycle" in body["detail"]
    assert client.get(f"{UNITS}/{tree['district']['id']}").json() == tree["district"]


def test_move_under_unknown_or_closed_parent(client: TestClient) -> None:
    tree = make_tree(client)
    commune = tree["commune"]["id"]
    assert_problem(client.patch(f"{UNITS}/{commune}", json={"parent_id": 99999}), 422)
    closed = make_unit(client, kind="district_committee")
    client.post(f"{UNITS}/{closed['id']}/close", json={"valid_to": "2025-07-01"})
    assert_problem(client.patch(f"{UNITS}/{commune}", json={"parent_id": closed["id"]}), 409)
    assert client.get(f"{UNITS}/{commune}").json()["parent_id"] == tree["district"]["id"]


def test_close_rules(client: TestClient) -> None:
    tree = make_tree(client)
    commune = tree["commune"]["id"]
    body = assert_problem(
        client.post(f"{UNITS}/{commune}/close", json={"valid_to": "2025-07-01"}), 409
    )
    assert "open" in body["detail"]
    for cell in ("cell_a", "cell_b"):
        closed = client.post(f"{UNITS}/{tree[cell]['id']}/close", json={"valid_to": "2025-07-01"})
        assert closed.status_code == 200
        assert closed.json()["valid_to"] == "2025-07-01"
    assert (
        client.post(f"{UNITS}/{commune}/close", json={"valid_to": "2025-07-01"}).status_code == 200
    )
    assert_problem(client.post(f"{UNITS}/{commune}/close", json={"valid_to": "2025-08-01"}), 409)


def test_close_defaults_to_today_and_rejects_a_day_before_valid_from(client: TestClient) -> None:
    unit = make_unit(client, valid_from="2020-01-01")
    body = assert_problem(
        client.post(f"{UNITS}/{unit['id']}/close", json={"valid_to": "2019-12-31"}), 422
    )
    assert body["errors"][0]["loc"] == ["body", "valid_to"]
    assert_problem(client.post(f"{UNITS}/{unit['id']}/close", json={"valid_to": "2020-01-01"}), 422)
    assert_problem(client.post(f"{UNITS}/{unit['id']}/close", json={"valid_to": "soon"}), 422)
    assert client.get(f"{UNITS}/{unit['id']}").json()["valid_to"] is None
    closed = client.post(f"{UNITS}/{unit['id']}/close", json={}).json()
    assert closed["valid_to"] == clock.today().isoformat()


def test_patching_valid_from_after_the_closing_day_is_422(client: TestClient) -> None:
    unit = make_unit(client, valid_from="2020-01-01")
    client.post(f"{UNITS}/{unit['id']}/close", json={"valid_to": "2025-07-01"})
    assert_problem(client.patch(f"{UNITS}/{unit['id']}", json={"valid_from": "2025-07-01"}), 422)


def test_closed_units_and_as_of(client: TestClient) -> None:
    old = make_unit(client, name="Huyện ủy cũ", valid_from="1990-01-01")
    client.post(f"{UNITS}/{old['id']}/close", json={"valid_to": "2025-07-01"})
    new = make_unit(client, name="Đảng ủy xã mới", valid_from="2025-07-01")
    assert ids(client.get(UNITS)) == [new["id"]]
    assert sorted(ids(client.get(UNITS, params={"include_closed": True}))) == sorted(
        [old["id"], new["id"]]
    )
    assert ids(client.get(UNITS, params={"as_of": "2025-06-30"})) == [old["id"]]
    assert ids(client.get(UNITS, params={"as_of": "2025-07-01"})) == [new["id"]]
    assert ids(client.get(UNITS, params={"as_of": "1980-01-01"})) == []
    assert_problem(client.get(UNITS, params={"as_of": "yesterday"}), 422)


def test_a_closed_unit_cannot_be_moved_and_cannot_become_a_cell_with_children(
    client: TestClient,
) -> None:
    tree = make_tree(client)
    assert_problem(
        client.patch(f"{UNITS}/{tree['commune']['id']}", json={"kind": "party_cell"}), 409
    )
    client.post(f"{UNITS}/{tree['department']['id']}/close", json={"valid_to": "2025-07-01"})
    other = make_unit(client, kind="district_committee")
    assert_problem(
        client.patch(f"{UNITS}/{tree['department']['id']}", json={"parent_id": other["id"]}), 409
    )


def test_tree_follows_as_of(client: TestClient) -> None:
    tree = make_tree(client)
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    client.post(f"{UNITS}/{tree['cell_a']['id']}/close", json={"valid_to": "2025-07-01"})
    root = client.get(f"{UNITS}/{tree['commune']['id']}/tree").json()
    assert [c["id"] for c in root["children"]] == [tree["cell_b"]["id"]]
    then = client.get(
        f"{UNITS}/{tree['commune']['id']}/tree", params={"as_of": "2025-06-30"}
    ).json()
    assert len(then["children"]) == 2
    assert (
        len(
            client.get(f"{UNITS}/{tree['commune']['id']}/tree", params={"as_of": tomorrow}).json()[
                "children"
            ]
        )
        == 1
    )
