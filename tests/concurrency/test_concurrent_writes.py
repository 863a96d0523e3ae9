"""Optimistic concurrency under a real race: many PATCHes with the same If-Match, one winner.

Against a real server (as in test_concurrency.py), so that the requests really overlap in the
server's worker threads and database connections. Runs on PostgreSQL (row locks: the losers'
`UPDATE ... WHERE version = 1` waits for the winner, then matches no row) and on SQLite too
(writers queue on the database lock, then match no row either).
"""

import asyncio

import httpx

from app.models import Role
from tests.factories import make_principal

WRITERS = 16
ROUNDS = 3

# A loser that read the record before the winner committed passes the If-Match check and is
# stopped by the version check of its UPDATE; one that read it after fails the If-Match check.
STOPPED_BY_THE_DATABASE = "changed by someone else meanwhile"


async def _race(
    base_url: str, headers: dict[str, str], path: str, etag: str, round_: int
) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=WRITERS, max_keepalive_connections=WRITERS)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=30
    ) as http:
        return list(
            await asyncio.gather(
                *(
                    http.patch(
                        path,
                        json={"name": f"Đảng bộ xã Hương Sơn {round_}-{i}"},
                        headers={"If-Match": etag, "X-Request-ID": f"race-{round_}-{i}"},
                    )
                    for i in range(WRITERS)
                )
            )
        )


def test_one_of_many_concurrent_patches_with_the_same_etag_wins(live_server: str) -> None:
    headers = make_principal("admin", Role.admin, None)
    with httpx.Client(base_url=live_server, headers=headers) as http:
        created = http.post(
            "/api/v1/units",
            json={"code": "DX-HS", "name": "Đảng bộ xã Hương Sơn", "kind": "commune_committee"},
        )
        assert created.status_code == 201
        path = f"/api/v1/units/{created.json()['id']}"
        etag = created.headers["etag"]
        winners = []
        stopped_by_the_database = 0
        for round_ in range(ROUNDS):
            responses = asyncio.run(_race(live_server, headers, path, etag, round_))
            statuses = sorted(r.status_code for r in responses)
            assert statuses == [200] + [412] * (WRITERS - 1), [r.text for r in responses]
            for loser in (r for r in responses if r.status_code == 412):
                assert loser.headers["content-type"].startswith("application/problem+json")
                stopped_by_the_database += STOPPED_BY_THE_DATABASE in loser.json()["detail"]
            (winner,) = (r for r in responses if r.status_code == 200)
            winners.append(winner)

            current = http.get(path)
            assert current.json()["name"] == winner.json()["name"]
            assert current.headers["etag"] == winner.headers["etag"]
            assert int(current.headers["etag"].strip('"')) == int(etag.strip('"')) + 1
            etag = current.headers["etag"]

        # The writers really overlapped: some got past the If-Match check before the winner
        # committed.
        assert stopped_by_the_database > 0

        audit = http.get(
            "/api/v1/audit-events",
            params={"entity_type": "unit", "entity_id": created.json()["id"], "limit": 500},
        ).json()
        updates = [e for e in reversed(audit["items"]) if e["action"] == "update"]
        assert len(updates) == ROUNDS
        for event, winner in zip(updates, winners, strict=True):
            assert event["request_id"] == winner.headers["x-request-id"]
            assert event["after"]["name"] == winner.json()["name"]
        assert [e["after"]["version"] for e in updates] == list(range(2, ROUNDS + 2))
