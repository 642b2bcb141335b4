"""CSV upload over HTTP: status codes and a session trained on the upload."""

from __future__ import annotations

from fastapi.testclient import TestClient


def owner(client: TestClient) -> dict[str, str]:
    """Credentials of a new session: uploads belong to the session that sends them."""
    body = client.post("/api/sessions", json={}).json()
    return {"X-Session-Id": body["id"], "X-Session-Token": body["token"]}


IRISH = "a,b,label\n" + "\n".join(
    f"{i % 7 * 0.5},{i % 5 - 2.0},{'yes' if i % 2 else 'no'}" for i in range(60)
)


def test_upload_then_train_on_it(client: TestClient) -> None:
    headers = owner(client)
    response = client.post(
        "/api/datasets", files={"file": ("mine.csv", IRISH, "text/csv")}, headers=headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["rows"] == 60 and body["features"] == ["a", "b"]
    assert (
        body["target"] == "label" and body["task"] == "binary" and body["classes"] == ["no", "yes"]
    )
    session = client.post(
        "/api/sessions", json={"config": {"dataset": {"name": "csv", "upload_id": body["id"]}}}
    )
    assert session.status_code == 201, session.text
    listed = client.get("/api/datasets", headers=headers).json()
    assert [u["id"] for u in listed["uploads"]] == [body["id"]]
    assert any(b["name"] == "iris" for b in listed["builtin"])


def test_target_and_task_can_be_chosen(client: TestClient) -> None:
    response = client.post(
        "/api/datasets",
        files={"file": ("mine.csv", IRISH, "text/csv")},
        data={"target": "a", "task": "regression"},
        headers=owner(client),
    )
    assert response.status_code == 201, response.text
    assert response.json()["task"] == "regression"


def test_broken_csv_is_422_with_the_row_named(client: TestClient) -> None:
    bad = "a,b,label\n1,2,x\n3,oops,y\n"
    response = client.post(
        "/api/datasets", files={"file": ("bad.csv", bad, "text/csv")}, headers=owner(client)
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "row 3" in detail and "'b'" in detail


def test_too_large_body_is_413_before_parsing(client: TestClient) -> None:
    huge = "a,b\n" + "1,2\n" * 2_200_000  # 8.8 MB
    response = client.post(
        "/api/datasets", files={"file": ("big.csv", huge, "text/csv")}, headers=owner(client)
    )
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


def test_missing_file_field_is_422(client: TestClient) -> None:
    response = client.post("/api/datasets", data={"target": "x"}, headers=owner(client))
    assert response.status_code == 422
