"""Sign-in, tokens, password changes, user accounts with their grants, and API keys."""

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import settings
from app.core.db import engine
from app.core.security import ALGORITHM, create_access_token
from app.models import Role, User
from app.models.base import utcnow_to_the_second
from tests.factories import (
    PASSWORD,
    PASSWORD_HASH,
    assert_problem,
    make_principal,
    make_tree,
    make_unit,
)

AUTH = "/api/v1/auth"
USERS = "/api/v1/users"
KEYS = "/api/v1/api-keys"
UNITS = "/api/v1/units"


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    return client.post(f"{AUTH}/token", data={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def user_id_of(anon: TestClient, headers: dict[str, str]) -> int:
    response = anon.get(f"{AUTH}/me", headers=headers)
    assert response.status_code == 200, response.text
    user_id: int = response.json()["user_id"]
    return user_id


def assert_unauthorized(response: Any) -> dict[str, Any]:
    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    return body


# --- sign-in ---------------------------------------------------------------------------------


def test_sign_in_gives_a_bearer_token_for_the_user(client: TestClient, anon: TestClient) -> None:
    response = sign_in(anon, "admin")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.access_token_minutes * 60
    me = anon.get(f"{AUTH}/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json() == {
        "name": "admin",
        "user_id": me.json()["user_id"],
        "api_key_id": None,
        "grants": [{"role": "admin", "role_label": "Quản trị hệ thống", "unit_id": None}],
    }


@pytest.mark.parametrize(
    ("username", "password"),
    [("admin", "not the password"), ("nobody", PASSWORD), ("ADMIN", PASSWORD)],
    ids=["wrong password", "unknown user", "username is case-sensitive"],
)
def test_failed_sign_in_is_401(
    client: TestClient, anon: TestClient, username: str, password: str
) -> None:
    response = sign_in(anon, username, password)
    body = assert_unauthorized(response)
    assert "access_token" not in body


def test_sign_in_with_an_over_long_username_is_401(client: TestClient, anon: TestClient) -> None:
    # No account can have such a name (64 characters at most): just a failed sign-in, on every
    # database.
    assert_unauthorized(sign_in(anon, "a" * 65, "whatever"))


def test_sign_in_without_the_form_fields_is_422(anon: TestClient) -> None:
    assert_problem(anon.post(f"{AUTH}/token", data={"username": "admin"}), 422)
    assert_problem(anon.post(f"{AUTH}/token", json={"username": "a", "password": "b"}), 422)


# --- tokens ----------------------------------------------------------------------------------


def _forge(claims: dict[str, Any], key: str | None = None) -> str:
    return jwt.encode(claims, key or settings.secret_key.get_secret_value(), algorithm=ALGORITHM)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _swapped_payload(user_id: int, admin_id: int) -> str:
    """The user's real token with its payload replaced by the admin's claims."""
    header, _, signature = create_access_token(user_id)[0].split(".")
    issued = int(datetime.now(UTC).timestamp())
    claims = {"sub": str(admin_id), "iat": issued, "exp": issued + 300}
    return f"{header}.{_b64(claims)}.{signature}"


def _bad_tokens(user_id: int, admin_id: int) -> dict[str, str]:
    now = datetime.now(UTC)
    valid = {"sub": str(user_id), "iat": now, "exp": now + timedelta(minutes=5)}
    hour = timedelta(hours=1)
    return {
        "payload swapped to the admin": _swapped_payload(user_id, admin_id),
        "signature cut": create_access_token(user_id)[0].rsplit(".", 1)[0] + ".",
        "expired": _forge(valid | {"iat": now - 2 * hour, "exp": now - hour}),
        "signed with another key": _forge(valid, key="another-secret-key-" + "y" * 32),
        "unsigned (alg none)": jwt.encode(valid, key="", algorithm="none"),
        "without expiry": _forge({"sub": str(user_id), "iat": now}),
        "unknown user": _forge(valid | {"sub": "999999"}),
        "subject not a number": _forge(valid | {"sub": "admin"}),
        "garbage": "not-a-token",
    }


BAD_TOKENS = list(_bad_tokens(1, 2))


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_bad_tokens_are_401(client: TestClient, anon: TestClient, kind: str) -> None:
    unit = make_unit(client)
    user_id = user_id_of(anon, make_principal("thoa", Role.viewer, unit["id"]))
    admin_id = user_id_of(anon, dict(client.headers))
    token = _bad_tokens(user_id, admin_id)[kind]
    assert_unauthorized(anon.get(f"{AUTH}/me", headers=bearer(token)))
    assert_unauthorized(anon.get(UNITS, headers=bearer(token)))


def test_other_authorization_schemes_are_401(anon: TestClient) -> None:
    assert_unauthorized(anon.get(UNITS, headers={"Authorization": "Basic YWRtaW46YWRtaW4="}))
    assert_unauthorized(anon.get(UNITS, headers={"Authorization": "Bearer"}))


def test_a_disabled_user_is_refused_and_so_are_its_keys(
    client: TestClient, anon: TestClient
) -> None:
    unit = make_unit(client)
    thoa = make_principal("thoa", Role.manager, unit["id"])
    thoa_id = user_id_of(anon, thoa)
    key = anon.post(
        KEYS, headers=thoa, json={"name": "sync", "role": "viewer", "unit_id": unit["id"]}
    )
    assert key.status_code == 201
    api_key = {"X-API-Key": key.json()["key"]}
    assert anon.get(f"{AUTH}/me", headers=api_key).status_code == 200

    disabled = client.patch(f"{USERS}/{thoa_id}", json={"is_active": False})
    assert disabled.status_code == 200
    assert disabled.json()["is_active"] is False
    assert_unauthorized(anon.get(f"{AUTH}/me", headers=thoa))
    assert_unauthorized(anon.get(UNITS, headers=api_key))
    assert_unauthorized(sign_in(anon, "thoa"))


# --- password --------------------------------------------------------------------------------


def make_user_with_an_older_token(username: str) -> tuple[int, dict[str, str]]:
    """A user (no grants) and a token issued ten minutes ago, before any change of password.

    Token times are whole seconds; issuing the token in the past lets the test prove that a
    password change revokes it without sleeping.
    """
    with Session(engine) as session:
        user = User(
            username=username,
            full_name=username.title(),
            password_hash=PASSWORD_HASH,
            tokens_valid_from=utcnow_to_the_second() - timedelta(hours=1),
        )
        session.add(user)
        session.commit()
        assert user.id is not None
        user_id = user.id
    token, _ = create_access_token(user_id, now=datetime.now(UTC) - timedelta(minutes=10))
    return user_id, bearer(token)


def test_changing_the_password_revokes_older_tokens(anon: TestClient) -> None:
    _, old = make_user_with_an_older_token("thoa")
    assert anon.get(f"{AUTH}/me", headers=old).status_code == 200
    new_password = "a brand new passphrase"
    changed = anon.post(
        f"{AUTH}/password",
        headers=old,
        json={"current_password": PASSWORD, "new_password": new_password},
    )
    assert changed.status_code == 204, changed.text
    assert_unauthorized(anon.get(f"{AUTH}/me", headers=old))
    assert_unauthorized(sign_in(anon, "thoa", PASSWORD))
    fresh = sign_in(anon, "thoa", new_password)
    assert fresh.status_code == 200
    assert anon.get(f"{AUTH}/me", headers=bearer(fresh.json()["access_token"])).status_code == 200


def test_a_wrong_current_password_is_422_and_changes_nothing(anon: TestClient) -> None:
    _, old = make_user_with_an_older_token("thoa")
    wrong = anon.post(
        f"{AUTH}/password",
        headers=old,
        json={"current_password": "not my password", "new_password": "a brand new passphrase"},
    )
    body = assert_problem(wrong, 422)
    assert body["errors"][0]["loc"] == ["body", "current_password"]
    assert anon.get(f"{AUTH}/me", headers=old).status_code == 200


@pytest.mark.parametrize(
    "payload",
    [
        {"current_password": PASSWORD, "new_password": "short"},
        {"current_password": PASSWORD, "new_password": "x" * 129},
        {"current_password": "", "new_password": "a brand new passphrase"},
        {"new_password": "a brand new passphrase"},
    ],
    ids=["new too short", "new too long", "current empty", "current missing"],
)
def test_bad_password_payloads_are_422(anon: TestClient, payload: dict[str, str]) -> None:
    _, old = make_user_with_an_older_token("thoa")
    assert_problem(anon.post(f"{AUTH}/password", headers=old, json=payload), 422)
    assert anon.get(f"{AUTH}/me", headers=old).status_code == 200


def test_an_api_key_has_no_password_to_change(client: TestClient, anon: TestClient) -> None:
    unit = make_unit(client)
    key = client.post(KEYS, json={"name": "k", "role": "viewer", "unit_id": unit["id"]}).json()
    response = anon.post(
        f"{AUTH}/password",
        headers={"X-API-Key": key["key"]},
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
    )
    assert_problem(response, 403)


# --- users and grants ------------------------------------------------------------------------


def test_create_list_and_get_users(client: TestClient, anon: TestClient) -> None:
    tree = make_tree(client)
    created = client.post(
        USERS,
        json={
            "username": "thoa",
            "full_name": "Trịnh Thị Kim Thoa",
            "password": "kim thoa's passphrase",
            "grants": [
                {"role": "manager", "unit_id": tree["commune"]["id"]},
                {"role": "viewer", "unit_id": tree["district"]["id"]},
            ],
        },
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert created.headers["location"].endswith(f"{USERS}/{user['id']}")
    assert created.headers["etag"] == '"1"'
    assert "password" not in user
    assert "password_hash" not in user
    assert user["is_active"] is True
    assert sorted((g["role"], g["role_label"], g["unit_id"]) for g in user["grants"]) == [
        ("manager", "Quản lý", tree["commune"]["id"]),
        ("viewer", "Xem", tree["district"]["id"]),
    ]
    fetched = client.get(f"{USERS}/{user['id']}")
    assert fetched.status_code == 200
    assert fetched.headers["etag"] == '"1"'
    assert fetched.json() == user
    listed = client.get(USERS).json()
    assert listed["total"] == 2
    assert [u["username"] for u in listed["items"]] == ["admin", "thoa"]

    token = sign_in(anon, "thoa", "kim thoa's passphrase").json()["access_token"]
    me = anon.get(f"{AUTH}/me", headers=bearer(token)).json()
    assert {(g["role"], g["unit_id"]) for g in me["grants"]} == {
        ("manager", tree["commune"]["id"]),
        ("viewer", tree["district"]["id"]),
    }

    taken = client.post(
        USERS, json={"username": "thoa", "full_name": "Another", "password": "long enough pw"}
    )
    assert_problem(taken, 409)
    assert client.get(USERS).json()["total"] == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"grants": [{"role": "admin", "unit_id": "UNIT"}]},
        {"grants": [{"role": "manager"}]},
        {"grants": [{"role": "viewer", "unit_id": None}]},
        {"grants": [{"role": "owner", "unit_id": "UNIT"}]},
        {"grants": [{"role": "viewer", "unit_id": 999999}]},
        {"password": "short"},
        {"password": None},
        {"username": "Thoa"},
        {"username": "ab"},
        {"username": "thoa nguyen"},
        {"username": "-thoa"},
        {"username": "x" * 65},
        {"full_name": ""},
    ],
    ids=[
        "admin grant with a unit",
        "manager grant without a unit",
        "viewer grant with a null unit",
        "unknown role",
        "unknown unit",
        "short password",
        "no password",
        "upper-case username",
        "short username",
        "username with a space",
        "username starting with a dash",
        "long username",
        "empty full name",
    ],
)
def test_bad_user_payloads_are_422(client: TestClient, changes: dict[str, Any]) -> None:
    unit = make_unit(client)
    payload = {"username": "thoa", "full_name": "Thoa", "password": "long enough pw"}
    payload |= json.loads(json.dumps(changes).replace('"UNIT"', str(unit["id"])))
    if payload["password"] is None:
        del payload["password"]
    assert_problem(client.post(USERS, json=payload), 422)
    assert client.get(USERS).json()["total"] == 1


def test_add_and_remove_grants(client: TestClient, anon: TestClient) -> None:
    tree = make_tree(client)
    thoa = make_principal("thoa", Role.viewer, tree["commune"]["id"])
    thoa_id = user_id_of(anon, thoa)
    grants = f"{USERS}/{thoa_id}/grants"

    manage_cell = {"role": "manager", "unit_id": tree["cell_a"]["id"]}
    added = client.post(grants, json=manage_cell)
    assert added.status_code == 201, added.text
    grant = added.json()
    assert grant["user_id"] == thoa_id
    assert grant["role_label"] == "Quản lý"
    assert_problem(client.post(grants, json=manage_cell), 409)
    # The new grant works at once, on the holder's existing token.
    held = anon.get(f"{AUTH}/me", headers=thoa).json()["grants"]
    assert ("manager", tree["cell_a"]["id"]) in {(g["role"], g["unit_id"]) for g in held}
    renamed = anon.patch(f"{UNITS}/{tree['cell_a']['id']}", headers=thoa, json={"name": "Thôn A"})
    assert renamed.status_code == 200

    admin_grant = client.post(grants, json={"role": "admin"})
    assert admin_grant.status_code == 201
    assert admin_grant.json()["unit_id"] is None
    assert_problem(client.post(grants, json={"role": "admin"}), 409)

    for payload in (
        {"role": "admin", "unit_id": tree["commune"]["id"]},
        {"role": "manager"},
        {"role": "boss", "unit_id": tree["commune"]["id"]},
        {"role": "viewer", "unit_id": 999999},
    ):
        assert_problem(client.post(grants, json=payload), 422)
    assert_problem(client.post(f"{USERS}/999999/grants", json={"role": "admin"}), 404)

    assert client.delete(f"{grants}/{grant['id']}").status_code == 204
    assert_problem(client.delete(f"{grants}/{grant['id']}"), 404)
    remaining = client.get(f"{USERS}/{thoa_id}").json()["grants"]
    assert {g["role"] for g in remaining} == {"viewer", "admin"}
    # A grant is only reachable under its own user.
    admin_id = user_id_of(anon, dict(client.headers))
    viewer_grant = next(g for g in remaining if g["role"] == "viewer")
    assert_problem(client.delete(f"{USERS}/{admin_id}/grants/{viewer_grant['id']}"), 404)


def test_the_last_admin_grant_cannot_be_withdrawn(client: TestClient, anon: TestClient) -> None:
    admin_id = user_id_of(anon, dict(client.headers))
    (grant,) = client.get(f"{USERS}/{admin_id}").json()["grants"]
    assert_problem(client.delete(f"{USERS}/{admin_id}/grants/{grant['id']}"), 409)
    assert client.get(USERS).status_code == 200  # still an admin

    make_principal("second-admin", Role.admin, None)
    assert client.delete(f"{USERS}/{admin_id}/grants/{grant['id']}").status_code == 204
    assert_problem(client.get(USERS), 403)  # the same token, without the grant now


def test_the_last_active_admin_cannot_be_disabled(client: TestClient, anon: TestClient) -> None:
    admin_id = user_id_of(anon, dict(client.headers))
    other_id = user_id_of(anon, make_principal("other-admin", Role.admin, None))
    assert client.patch(f"{USERS}/{other_id}", json={"is_active": False}).status_code == 200
    # the other admin is disabled now: its grant no longer counts
    assert_problem(client.patch(f"{USERS}/{admin_id}", json={"is_active": False}), 409)
    assert client.get(f"{USERS}/{admin_id}").json()["is_active"] is True
    (grant,) = client.get(f"{USERS}/{admin_id}").json()["grants"]
    assert_problem(client.delete(f"{USERS}/{admin_id}/grants/{grant['id']}"), 409)


def test_update_a_user_with_if_match(client: TestClient, anon: TestClient) -> None:
    thoa_id = user_id_of(anon, make_principal("thoa", Role.admin, None))
    renamed = client.patch(
        f"{USERS}/{thoa_id}", json={"full_name": "Trịnh Thị Kim Thoa"}, headers={"If-Match": '"1"'}
    )
    assert renamed.status_code == 200
    assert renamed.headers["etag"] == '"2"'
    stale = client.patch(f"{USERS}/{thoa_id}", json={"full_name": "X"}, headers={"If-Match": '"1"'})
    assert_problem(stale, 412)
    assert client.get(f"{USERS}/{thoa_id}").json()["full_name"] == "Trịnh Thị Kim Thoa"
    assert_problem(client.patch(f"{USERS}/{thoa_id}", json={"password": "short"}), 422)
    assert_problem(client.patch(f"{USERS}/999999", json={"full_name": "X"}), 404)


@pytest.mark.parametrize("role", ["manager", "reporter", "viewer"])
def test_only_admins_manage_users(client: TestClient, login: Any, role: str) -> None:
    unit = make_unit(client)
    admin_id = user_id_of(client, dict(client.headers))
    (grant,) = client.get(f"{USERS}/{admin_id}").json()["grants"]
    caller = login(role, unit["id"])
    payload = {"username": "newbie", "full_name": "New", "password": "long enough pw"}
    attempts = [
        caller.get(USERS),
        caller.post(USERS, json=payload),
        caller.get(f"{USERS}/{admin_id}"),
        caller.patch(f"{USERS}/{admin_id}", json={"is_active": False}),
        caller.post(f"{USERS}/{admin_id}/grants", json={"role": "viewer", "unit_id": unit["id"]}),
        caller.delete(f"{USERS}/{admin_id}/grants/{grant['id']}"),
    ]
    for response in attempts:
        assert_problem(response, 403)
    assert client.get(USERS).json()["total"] == 2
    assert client.get(f"{USERS}/{admin_id}").json()["is_active"] is True


# --- API keys --------------------------------------------------------------------------------


def test_api_key_lifecycle(client: TestClient, anon: TestClient) -> None:
    unit = make_unit(client)
    created = client.post(
        KEYS, json={"name": "Đồng bộ báo cáo", "role": "viewer", "unit_id": unit["id"]}
    )
    assert created.status_code == 201, created.text
    key = created.json()
    secret = key["key"]
    assert secret.startswith(f"ck_{key['prefix']}_")
    assert created.headers["location"].endswith(f"{KEYS}/{key['id']}")
    assert "secret_hash" not in key
    assert key["last_used_at"] is None
    assert key["revoked_at"] is None

    # The secret is shown once: never again in a read or a list.
    fetched = client.get(f"{KEYS}/{key['id']}")
    assert fetched.status_code == 200
    assert "key" not in fetched.json()
    listed = client.get(KEYS)
    assert [k["id"] for k in listed.json()["items"]] == [key["id"]]
    for response in (fetched, listed):
        assert secret.split("_", 2)[2] not in response.text
        assert "secret_hash" not in response.text

    as_key = {"X-API-Key": secret}
    me = anon.get(f"{AUTH}/me", headers=as_key)
    assert me.json() == {
        "name": f"key:{key['prefix']}",
        "user_id": None,
        "api_key_id": key["id"],
        "grants": [{"role": "viewer", "role_label": "Xem", "unit_id": unit["id"]}],
    }
    assert anon.get(f"{UNITS}/{unit['id']}", headers=as_key).status_code == 200
    assert client.get(f"{KEYS}/{key['id']}").json()["last_used_at"] is not None

    revoked = client.post(f"{KEYS}/{key['id']}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert_unauthorized(anon.get(f"{AUTH}/me", headers=as_key))
    assert_unauthorized(anon.get(f"{UNITS}/{unit['id']}", headers=as_key))
    assert_problem(client.post(f"{KEYS}/{key['id']}/revoke"), 409)
    assert client.get(KEYS).json()["items"][0]["revoked_at"] is not None


@pytest.mark.parametrize(
    "key",
    ["garbage", "ck_", "ck_nope", "ck_nope_nope", "RIGHT_PREFIX_WRONG_SECRET"],
)
def test_bad_api_keys_are_401(client: TestClient, anon: TestClient, key: str) -> None:
    unit = make_unit(client)
    real = client.post(KEYS, json={"name": "k", "role": "viewer", "unit_id": unit["id"]}).json()
    key = key.replace("RIGHT_PREFIX_WRONG_SECRET", f"ck_{real['prefix']}_wrong-secret")
    assert_unauthorized(anon.get(UNITS, headers={"X-API-Key": key}))


def test_a_key_can_do_what_its_grant_allows(client: TestClient, anon: TestClient) -> None:
    tree = make_tree(client)
    commune = tree["commune"]["id"]

    def key_for(role: str) -> dict[str, str]:
        body = {"name": role, "role": role, "unit_id": commune}
        return {"X-API-Key": client.post(KEYS, json=body).json()["key"]}

    unit = {"code": "CB-C", "name": "Chi bộ thôn C", "kind": "party_cell", "parent_id": commune}
    assert_problem(anon.post(UNITS, headers=key_for("viewer"), json=unit), 403)
    manager = key_for("manager")
    assert anon.post(UNITS, headers=manager, json=unit).status_code == 201
    assert_problem(anon.get(f"{UNITS}/{tree['district']['id']}", headers=manager), 404)
    # A key does not make other keys.
    body = {"name": "child", "role": "viewer", "unit_id": commune}
    assert_problem(anon.post(KEYS, headers=manager, json=body), 403)


def test_managers_make_keys_only_within_their_subtree(client: TestClient, login: Any) -> None:
    tree = make_tree(client)
    manager = login("manager", tree["commune"]["id"])

    def key(caller: TestClient, role: str, unit: str | None) -> Any:
        body = {"name": f"{role} {unit}", "role": role}
        if unit is not None:
            body["unit_id"] = tree[unit]["id"]
        return caller.post(KEYS, json=body)

    own = [key(manager, "viewer", "cell_a"), key(manager, "manager", "commune")]
    assert [r.status_code for r in own] == [201, 201]
    assert_problem(key(manager, "viewer", "district"), 403)
    assert_problem(key(manager, "viewer", "department"), 403)
    assert_problem(key(manager, "admin", None), 403)
    assert_problem(key(manager, "viewer", None), 422)

    theirs = key(client, "viewer", "department").json()
    assert key(client, "admin", None).status_code == 201
    listed = manager.get(KEYS).json()
    assert sorted(k["id"] for k in listed["items"]) == sorted(r.json()["id"] for r in own)
    assert_problem(manager.get(f"{KEYS}/{theirs['id']}"), 404)
    assert_problem(manager.post(f"{KEYS}/{theirs['id']}/revoke"), 404)
    assert client.get(f"{KEYS}/{theirs['id']}").json()["revoked_at"] is None
    assert manager.post(f"{KEYS}/{own[0].json()['id']}/revoke").status_code == 200
    assert client.get(KEYS).json()["total"] == 4


@pytest.mark.parametrize("role", ["viewer", "reporter"])
def test_viewers_and_reporters_make_no_keys(client: TestClient, login: Any, role: str) -> None:
    unit = make_unit(client)
    caller = login(role, unit["id"])
    body = {"name": "mine", "role": "viewer", "unit_id": unit["id"]}
    assert_problem(caller.post(KEYS, json=body), 403)
    assert_problem(caller.get(KEYS), 403)
    assert client.get(KEYS).json()["total"] == 0


def test_bad_key_payloads_are_422(client: TestClient) -> None:
    unit = make_unit(client)
    for body in (
        {"role": "viewer", "unit_id": unit["id"]},
        {"name": "", "role": "viewer", "unit_id": unit["id"]},
        {"name": "k", "role": "admin", "unit_id": unit["id"]},
        {"name": "k", "role": "manager"},
        {"name": "k", "role": "viewer", "unit_id": 999999},
        {"name": "k" * 101, "role": "viewer", "unit_id": unit["id"]},
    ):
        assert_problem(client.post(KEYS, json=body), 422)
    assert client.get(KEYS).json()["total"] == 0
