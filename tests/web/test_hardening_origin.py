"""Cross-site writes are refused; uploads belong to the session that sent them."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.data import parse_csv
from app.training.uploads import UploadsFull, UploadStore

CSV = "a,b,label\n" + "\n".join(f"{i % 7},{i % 5},{i % 2}" for i in range(40))
EVIL = "https://evil.example"


def credentials(client: TestClient) -> dict[str, str]:
    body = client.post("/api/sessions", json={}).json()
    return {"X-Session-Id": body["id"], "X-Session-Token": body["token"]}


def upload(client: TestClient, headers: dict[str, str], name: str = "mine.csv") -> object:
    return client.post("/api/datasets", files={"file": (name, CSV, "text/csv")}, headers=headers)


@pytest.mark.parametrize(
    "browser_headers",
    [
        {"Origin": EVIL},
        {"Origin": "null"},
        {"Origin": "http://testserver.evil.example"},
        {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "cross-site"},  # no Origin, but a browser sent it
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "same-origin"},  # a browser always sends Origin on a POST
        {"Origin": "http://testserver", "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_cross_site_state_changes_are_refused(
    client: TestClient, browser_headers: dict[str, str]
) -> None:
    owner = credentials(client)
    before = client.get("/api/health").json()["sessions"]
    refused_upload = upload(client, {**owner, **browser_headers})
    assert refused_upload.status_code == 403, refused_upload.text
    assert "cross-site request refused" in refused_upload.json()["detail"]
    refused_session = client.post("/api/sessions", json={}, headers=browser_headers)
    assert refused_session.status_code == 403
    for method in ("PUT", "PATCH", "DELETE"):
        assert client.request(method, "/api/sessions", headers=browser_headers).status_code == 403
    assert client.get("/api/health").json()["sessions"] == before
    assert client.get("/api/datasets", headers=owner).json()["uploads"] == []


def test_same_origin_and_non_browser_requests_pass(client: TestClient) -> None:
    owner = credentials(client)
    same = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    assert upload(client, {**owner, **same}).status_code == 201
    assert upload(client, owner).status_code == 201  # curl: neither Origin nor Sec-Fetch-Site
    assert client.post("/api/sessions", json={}, headers=same).status_code == 201


def test_uploads_are_listed_only_to_their_session(client: TestClient) -> None:
    alice, bob = credentials(client), credentials(client)
    mine = upload(client, alice, "alice.csv").json()
    assert upload(client, {}).status_code == 401, "an upload names its session"
    wrong = {**alice, "X-Session-Token": "x" * 24}
    assert upload(client, wrong).status_code == 403
    assert client.get("/api/datasets", headers=wrong).status_code == 403
    listed = client.get("/api/datasets", headers=alice).json()["uploads"]
    assert [u["id"] for u in listed] == [mine["id"]]
    assert client.get("/api/datasets", headers=bob).json()["uploads"] == []
    anonymous = client.get("/api/datasets").json()
    assert anonymous["uploads"] == [] and anonymous["builtin"]
    # The id is a capability: a session told it (a shared link) may train on it, and lists it.
    shared = client.post(
        "/api/sessions", json={"config": {"dataset": {"name": "csv", "upload_id": mine["id"]}}}
    ).json()
    carol = {"X-Session-Id": shared["id"], "X-Session-Token": shared["token"]}
    assert [u["id"] for u in client.get("/api/datasets", headers=carol).json()["uploads"]] == [
        mine["id"]
    ]


def _table() -> object:
    return parse_csv(CSV.encode(), None, "auto")


def test_a_stranger_cannot_evict_a_live_sessions_uploads() -> None:
    store = UploadStore(max_count=4, per_owner=3)
    table = _table()
    alice = [store.add("alice", f"a{i}.csv", table, held=()) for i in range(3)]
    store.add("bob", "b0.csv", table, held={u.id for u in alice})
    held = {u.id for u in alice} | {u.id for u in store.owned_by("bob")}
    # Bob is at the total limit: his next upload replaces his own oldest, never Alice's.
    newest = store.add("bob", "b1.csv", table, held=held)
    assert [u.id for u in store.owned_by("alice")] == [u.id for u in alice]
    assert [u.id for u in store.owned_by("bob")] == [newest.id]
    # Mallory, with nothing of her own to give up, is refused rather than evicting anyone.
    with pytest.raises(UploadsFull):
        store.add("mallory", "m.csv", table, held=held | {newest.id})
    assert store.owned_by("mallory") == []
    # Once Alice's session is gone her uploads are fair game.
    store.add("mallory", "m.csv", table, held={newest.id})
    assert len(store.owned_by("alice")) == 2 and len(store.owned_by("mallory")) == 1


def test_each_owner_keeps_at_most_its_quota() -> None:
    store = UploadStore(max_count=32, per_owner=2)
    table = _table()
    ids = [store.add("alice", f"{i}.csv", table).id for i in range(5)]
    assert [u.id for u in store.owned_by("alice")] == ids[-2:]
    assert store.get(ids[0]) is None
    assert np.array_equal(store.get(ids[-1]).table.x, table.x)  # type: ignore[union-attr]
