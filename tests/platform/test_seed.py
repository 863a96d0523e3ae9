from pathlib import Path

import yaml
from fastapi.testclient import TestClient

from app.core.config import settings
from app.seed import load_seed


def test_the_article_data_loads_once_and_is_found_through_the_api(client: TestClient) -> None:
    first = load_seed(settings.seed_dir)
    assert first["units"] == (18, 0)
    assert first["reorganisations"] == (1, 0)
    assert load_seed(settings.seed_dir) == dict.fromkeys(first, (0, 0))

    found = client.get("/api/v1/units", params={"q": "huong son"}).json()["items"]
    assert [u["name"] for u in found] == ["Đảng bộ xã Hương Sơn"]
    commune = found[0]
    assert commune["valid_to"] == "2025-07-01"  # merged into xã Bình Xuyên
    ancestors = f"/api/v1/units/{commune['id']}/ancestors"
    chain = [u["name"] for u in client.get(ancestors, params={"as_of": "2022-12-31"}).json()]
    assert chain == ["Tỉnh ủy Vĩnh Phúc", "Huyện ủy Bình Xuyên"]
    chain = [u["name"] for u in client.get(ancestors).json()]
    assert chain == ["Tỉnh ủy Phú Thọ", "Đảng ủy xã Bình Xuyên"]
    directive = client.get("/api/v1/directives", params={"q": "05-CT/TW"}).json()["items"][0]
    assert directive["issued_on"] == "2016-05-15"
    assert directive["issuer"] == "Bộ Chính trị"
    assert len(directive["mottos"]) == 3
    thoa = client.get("/api/v1/people", params={"q": "kim thoa"}).json()["items"][0]
    (post,) = client.get("/api/v1/positions", params={"person_id": thoa["id"]}).json()["items"]
    assert (post["post"], post["unit_id"]) == ("standing_deputy_secretary", commune["id"])
    assert post["end_on"] == "2025-07-01"  # the commune closed
    the = client.get("/api/v1/people", params={"q": "ngo quoc the"}).json()["items"][0]
    (post,) = client.get("/api/v1/positions", params={"person_id": the["id"]}).json()["items"]
    assert post["post"] == "department_deputy_head"


def test_editing_the_seed_updates_the_record_but_not_history(
    client: TestClient, tmp_path: Path
) -> None:
    load_seed(settings.seed_dir)
    data = yaml.safe_load((settings.seed_dir / "article.yaml").read_text(encoding="utf-8"))
    data["directives"][0]["issuer"] = "Bộ Chính trị khóa XII"
    # Hương Sơn closed in 2025: what the file says of it is history, not an edit of today.
    data["units"][3]["name"] = "Đảng ủy xã Hương Sơn"
    (tmp_path / "article.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
    )
    counts = load_seed(tmp_path)
    assert counts["directives"] == (0, 1)
    assert counts["units"] == (0, 0)
    assert counts["reorganisations"] == (0, 0)
    found = client.get("/api/v1/units", params={"q": "dang uy xa huong son"}).json()["items"]
    assert found == []


def test_the_article_commitment_is_found_under_binh_xuyen(client: TestClient) -> None:
    load_seed(settings.seed_dir)
    found = client.get("/api/v1/units", params={"q": "binh xuyen"}).json()["items"]
    by_code = {u["code"]: u for u in found}
    district, commune = by_code["HU-BINHXUYEN"], by_code["08950"]
    assert (district["valid_to"], commune["valid_to"]) == ("2025-07-01", None)
    found = client.get(
        "/api/v1/commitments",
        params={"root_id": commune["id"], "year": 2022, "category": "party_recruitment"},
    ).json()
    (commitment,) = found["items"]
    # Still Hương Sơn's record, registered with the district; its work passed to xã Bình Xuyên.
    assert commitment["carried_to_id"] == commune["id"]
    assert commitment["title"] == "Tháo gỡ khó khăn trong tạo nguồn phát triển đảng viên"
    assert commitment["registered_with_id"] == district["id"]
    assert (commitment["kind"], commitment["status"]) == ("difficult_task", "in_progress")
    assert commitment["directing_person_id"] is None  # the article names nobody
    assert len(commitment["success_criteria"]) == 3
    history = client.get(f"/api/v1/commitments/{commitment['id']}/history").json()
    assert [e["action"] for e in history] == ["register", "accept", "start"]
    (update,) = client.get(f"/api/v1/commitments/{commitment['id']}/progress-updates").json()
    assert "15 đảng viên mới" in update["note"]
    assert update["progress_percent"] is None


def test_the_article_admissions_show_as_reported_counts_for_huong_son(
    client: TestClient,
) -> None:
    load_seed(settings.seed_dir)
    commune = client.get("/api/v1/units", params={"q": "huong son"}).json()["items"][0]
    response = client.get(
        f"/api/v1/units/{commune['id']}/recruitment", params={"from_year": 2021, "to_year": 2022}
    )
    assert response.status_code == 200, response.text
    figures = response.json()["unit"]
    assert (figures["admitted_reported"], figures["admitted_individual"]) == (15, 0)
    assert figures["admitted"] == 15
    # The article gives no target, and no count can be split into one of its years.
    assert figures["target"] is None
    assert figures["achievement_percent"] is None
    one_year = client.get(
        f"/api/v1/units/{commune['id']}/recruitment", params={"from_year": 2022, "to_year": 2022}
    ).json()["unit"]
    assert (one_year["admitted"], one_year["outcomes_straddling"]) == (0, 1)


def test_huong_son_admissions_under_either_structure(client: TestClient) -> None:
    """Issue 12's done-when: under the tree of 2021–2022 (as_of) the 15 admissions count for
    Huyện ủy Bình Xuyên and Tỉnh ủy Vĩnh Phúc; under today's (current) for Đảng ủy xã Bình
    Xuyên and Tỉnh ủy Phú Thọ; the merge shows in Hương Sơn's lineage with its legal basis."""
    load_seed(settings.seed_dir)
    units = client.get("/api/v1/units", params={"include_closed": True, "limit": 100})
    by_code = {u["code"]: u["id"] for u in units.json()["items"]}

    def admitted(code: str, structure: str) -> int:
        report = client.get(
            "/api/v1/reports/recruitment",
            params={
                "root_id": by_code[code],
                "from_year": 2021,
                "to_year": 2022,
                "structure": structure,
            },
        ).json()
        assert report["structure"] == structure
        return int(report["totals"]["admitted"])

    for code in ("DX-HUONGSON", "HU-BINHXUYEN", "TU-VINHPHUC"):
        assert admitted(code, "as_of") == 15
    for code in ("08950", "TU-PHUTHO"):
        assert admitted(code, "as_of") == 0
        assert admitted(code, "current") == 15
    # Under today's tree the province's rows show the commune that carries Hương Sơn on.
    rows = client.get(
        "/api/v1/reports/recruitment",
        params={
            "root_id": by_code["TU-PHUTHO"],
            "from_year": 2021,
            "to_year": 2022,
            "structure": "current",
        },
    ).json()["rows"]
    assert {r["code"]: r["admitted"] for r in rows}["08950"] == 15
    assert sum(r["admitted"] for r in rows) == 15
    lineage = client.get(f"/api/v1/units/{by_code['DX-HUONGSON']}/lineage").json()
    (merged,) = lineage["successors"]
    assert (merged["unit_id"], merged["kind"]) == (by_code["08950"], "merged")
    assert any("1676/NQ-UBTVQH15" in basis for basis in merged["legal_basis"])
