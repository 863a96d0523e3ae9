"""64 clients at once against a real server: every request must be served (DESIGN.md's trap)."""

import asyncio

import httpx

from app.models import Role
from tests.factories import make_principal

CLIENTS = 64
ROUNDS = 4


async def _burst(base_url: str, headers: dict[str, str], unit_id: int) -> list[int]:
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=30
    ) as http:
        statuses: list[int] = []
        for _ in range(ROUNDS):
            requests = [
                http.get("/api/v1/units", params={"limit": 50})
                if i % 4
                else http.get(f"/api/v1/units/{unit_id}/descendants")
                for i in range(CLIENTS)
            ]
            statuses += [r.status_code for r in await asyncio.gather(*requests)]
        return statuses


def test_64_concurrent_clients_are_all_served(live_server: str) -> None:
    headers = make_principal("admin", Role.admin, None)
    with httpx.Client(base_url=live_server, headers=headers) as http:
        root = http.post(
            "/api/v1/units", json={"code": "ROOT", "name": "Tỉnh ủy", "kind": "province_committee"}
        ).json()
        for n in range(20):
            created = http.post(
                "/api/v1/units",
                json={
                    "code": f"C{n}",
                    "name": f"Đảng ủy xã {n}",
                    "kind": "commune_committee",
                    "parent_id": root["id"],
                },
            )
            assert created.status_code == 201
    statuses = asyncio.run(_burst(live_server, headers, root["id"]))
    assert statuses == [200] * CLIENTS * ROUNDS
