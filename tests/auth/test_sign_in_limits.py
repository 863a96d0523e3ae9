"""Sign-in limits: failures counted per username from any address and per address for any
username, and the address they are counted against is the peer's unless a proxy is trusted."""

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from app.cli import server_options
from app.core.config import Settings, settings
from app.models import SignInFailure, utcnow
from tests.factories import PASSWORD, assert_problem

TOKEN = "/api/v1/auth/token"
Address = Callable[[str], TestClient]


def sign_in(client: Any, username: str, password: str = PASSWORD, **kwargs: Any) -> Any:
    return client.post(TOKEN, data={"username": username, "password": password}, **kwargs)


@pytest.fixture
def from_address(app: FastAPI, anon: TestClient) -> Address:
    """A client whose requests come from the given address (the tables are emptied after)."""
    return lambda address: TestClient(app, client=(address, 50000))


def assert_locked(response: Any) -> dict[str, Any]:
    body = assert_problem(response, 429)
    assert 1 <= int(response.headers["retry-after"]) <= settings.sign_in_window_seconds + 1
    assert "access_token" not in body
    return body


def test_spraying_usernames_from_one_address_locks_that_address(
    client: TestClient, from_address: Address, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "sign_in_max_failures_per_address", 12)  # 20 by default
    sprayer = from_address("198.51.100.7")
    # One guess per username: no username reaches its own limit.
    for n in range(12):
        assert_problem(sign_in(sprayer, f"user-{n}", "Password1"), 401)
    body = assert_locked(sign_in(sprayer, "admin"))  # even the right password is refused now
    assert "from this address" in body["detail"]
    # The usernames are not locked elsewhere.
    assert sign_in(from_address("198.51.100.8"), "admin").status_code == 200


def test_guessing_one_username_from_many_addresses_locks_that_username(
    client: TestClient, from_address: Address
) -> None:
    for n in range(settings.sign_in_max_failures_per_username):
        assert_problem(sign_in(from_address(f"10.0.0.{n + 1}"), "admin", "guess"), 401)
    fresh = from_address("10.0.1.1")
    body = assert_locked(sign_in(fresh, "admin"))
    assert "for this username" in body["detail"]
    # The address itself is not locked: another account signs in from it. This is the accepted
    # price of the username's lock: anyone can lock an account out, not get into it.
    assert_problem(sign_in(fresh, "someone-else"), 401)


def test_a_locked_out_attempt_tells_nothing_about_the_password(
    client: TestClient, from_address: Address
) -> None:
    guesser = from_address("192.0.2.1")
    for _ in range(settings.sign_in_max_failures_per_username):
        assert_problem(sign_in(guesser, "admin", "guess"), 401)
    right, wrong = sign_in(guesser, "admin"), sign_in(guesser, "admin", "guess")
    assert_locked(right)
    assert (right.status_code, right.json()) == (wrong.status_code, wrong.json())


def test_the_limit_counts_only_failures_within_the_window(
    client: TestClient, from_address: Address, engine: Engine
) -> None:
    # Successful sign-ins do not count...
    for _ in range(settings.sign_in_max_failures_per_username + 1):
        assert sign_in(from_address("192.0.2.2"), "admin").status_code == 200
    # ...nor failures older than the window, which the next failure removes.
    long_ago = utcnow() - timedelta(seconds=settings.sign_in_window_seconds + 1)
    with Session(engine) as session:
        for _ in range(settings.sign_in_max_failures_per_address):
            session.add(SignInFailure(username="admin", client="192.0.2.2", at=long_ago))
        session.commit()
    assert_problem(sign_in(from_address("192.0.2.2"), "admin", "guess"), 401)
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(SignInFailure)).scalar() == 1
    assert sign_in(from_address("192.0.2.2"), "admin").status_code == 200


# --- against a real server, started as `camket serve` starts it -------------------------------


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn with the options `camket serve` gives it (on a free port)."""
    server = uvicorn.Server(uvicorn.Config(app, **server_options(host="127.0.0.1", port=0)))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = threading.Event()
    while not server.started and thread.is_alive():
        started.wait(0.01)
    assert server.started, "server did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live(app: FastAPI, client: TestClient) -> Iterator[Callable[[], str]]:
    """Starts the server once the test has set its settings (`client` makes the admin and
    empties the tables after)."""
    with ExitStack() as stack:
        yield lambda: stack.enter_context(serving(app))


def forged(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def test_a_made_up_forwarded_for_is_ignored_from_an_untrusted_peer(
    live: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "forwarded_allow_ips", "")  # the default
    monkeypatch.setattr(settings, "sign_in_max_failures_per_address", 3)
    with httpx.Client(base_url=live(), timeout=30) as http:
        for n in range(3):  # as many "addresses", as many usernames: only 127.0.0.1 counts
            assert (
                sign_in(http, f"user-{n}", "guess", headers=forged(f"203.0.113.{n}")).status_code
                == 401
            )
        assert_locked(sign_in(http, "admin", headers=forged("203.0.113.99")))


def test_forwarded_for_is_honoured_from_a_trusted_proxy(
    live: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "forwarded_allow_ips", "127.0.0.1")
    monkeypatch.setattr(settings, "sign_in_max_failures_per_address", 3)
    with httpx.Client(base_url=live(), timeout=30) as http:
        for n in range(3):
            assert (
                sign_in(http, f"user-{n}", "guess", headers=forged("203.0.113.1")).status_code
                == 401
            )
        assert_locked(sign_in(http, "admin", headers=forged("203.0.113.1")))
        # The proxy's other clients are not locked with the one that failed.
        assert sign_in(http, "admin", headers=forged("203.0.113.2")).status_code == 200


def test_concurrent_guesses_count_before_their_passwords_are_checked(
    live: Callable[[], str],
) -> None:
    guesses = 12
    with httpx.Client(base_url=live(), timeout=120) as http, ThreadPoolExecutor(guesses) as pool:
        answers = Counter(
            pool.map(lambda _: sign_in(http, "admin", "guess").status_code, range(guesses))
        )
    # Counting each failure only once its password was checked let 24 of 30 through a limit of
    # 5; counting before it, but checking in another transaction, let 8 of 20 through.
    limit = settings.sign_in_max_failures_per_username
    assert answers == {401: limit, 429: guesses - limit}


@pytest.mark.parametrize(
    ("value", "normalised"),
    [("", ""), (" * ", "*"), ("10.0.0.1, 192.168.0.0/16,::1", "10.0.0.1,192.168.0.0/16,::1")],
)
def test_trusted_proxies_are_addresses_or_networks(value: str, normalised: str) -> None:
    assert Settings(forwarded_allow_ips=value).forwarded_allow_ips == normalised


@pytest.mark.parametrize("value", ["proxy.local", "10.0.0.1/8", "*,10.0.0.1", "10.0.0.256"])
def test_a_trusted_proxy_that_is_no_address_is_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="CAMKET_FORWARDED_ALLOW_IPS"):
        Settings(forwarded_allow_ips=value)
