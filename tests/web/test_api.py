"""REST endpoints with TestClient."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_health(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["sessions"] == 0
    assert "worker process" in body["training"]  # the default: a pool of worker processes


def test_page_serves_the_app_shell(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert 'id="app"' in response.text
    assert "/static/js/main.js" in response.text
    assert client.get("/static/vendor/uPlot.esm.js").status_code == 200


def test_schema_describes_the_three_sections(client: TestClient) -> None:
    schema = client.get("/api/schema").json()
    assert set(schema["properties"]) == {"dataset", "model", "training"}
    assert "LayerConfig" in schema["$defs"]


def test_presets_have_ids_titles_descriptions_and_valid_configs(client: TestClient) -> None:
    presets = client.get("/api/presets").json()
    ids = {p["id"] for p in presets}
    assert {"spiral", "vanishing-gradients", "exploding-gradients-clipped", "lr-adam"} <= ids
    for preset in presets:
        assert preset["title"] and len(preset["description"]) > 40
        assert client.post("/api/sessions", json={"config": preset["config"]}).status_code == 201


def test_create_session_with_defaults_preset_or_partial_config(client: TestClient) -> None:
    default = client.post("/api/sessions", json={}).json()
    assert default["id"] and default["token"]
    assert default["config"]["dataset"]["name"] == "spiral"
    preset = client.post("/api/sessions", json={"preset": "overfitting"}).json()
    assert preset["config"]["model"]["layers"][0]["units"] == 64
    custom = client.post(
        "/api/sessions", json={"config": {"training": {"learning_rate": 0.5}}}
    ).json()
    assert custom["config"]["training"]["learning_rate"] == 0.5
    assert custom["config"]["model"]["layers"][0]["units"] == 8


def test_bad_session_requests_get_422_naming_the_problem(client: TestClient) -> None:
    cases = [
        ({"preset": "nope"}, "unknown preset"),
        ({"config": {"training": {"learning_rate": 0}}}, "training.learning_rate"),
        ({"config": {"model": {"layers": [{"units": 256}] * 8}}}, "model too large"),
        ({"config": {"dataset": {"name": "csv", "upload_id": "missing"}}}, "unknown upload_id"),
        ({"colour": "red"}, "colour"),
    ]
    for body, words in cases:
        response = client.post("/api/sessions", json=body)
        assert response.status_code == 422, body
        assert words in str(response.json()["detail"]), response.json()


def test_session_count_is_capped(client: TestClient) -> None:
    client.app.state.manager.max_sessions = 2  # type: ignore[attr-defined]
    for _ in range(2):
        assert client.post("/api/sessions", json={}).status_code == 201
    response = client.post("/api/sessions", json={})
    assert response.status_code == 503
    assert "2 sessions are open on this server" in response.json()["detail"]
