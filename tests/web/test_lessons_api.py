"""GET /api/lessons and /api/lessons/{id}; a bad lesson file never stops the server."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import LESSONS_DIR, LOOPBACK_HOSTS, Settings
from app.training.lessons import read_lesson


def test_the_list_has_every_shipped_lesson_in_order(client: TestClient) -> None:
    body = client.get("/api/lessons").json()
    assert body["invalid"] == []
    ids = [item["id"] for item in body["lessons"]]
    assert set(ids) == {path.stem for path in LESSONS_DIR.glob("*.json")}
    assert ids[0] == "backprop-step-by-step"
    for item in body["lessons"]:
        lesson = read_lesson(LESSONS_DIR / f"{item['id']}.json")
        assert item == {
            "id": item["id"],
            "title": lesson.title,
            "summary": lesson.summary,
            "steps": len(lesson.steps),
        }


def test_one_lesson_has_its_steps(client: TestClient) -> None:
    body = client.get("/api/lessons/overfitting").json()
    assert body["id"] == "overfitting"
    assert body["steps"][0]["load"] == {"preset": "overfitting"}
    asked = next(step for step in body["steps"] if "question" in step)
    assert sum(choice["correct"] for choice in asked["question"]["choices"]) == 1
    assert "inspect" not in body["steps"][0], "unset fields are left out"


def test_an_unknown_lesson_is_a_404_naming_the_lessons(client: TestClient) -> None:
    response = client.get("/api/lessons/nope")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("no lesson 'nope'; the lessons are: backprop-step")


def test_a_bad_file_is_listed_and_logged_while_the_good_ones_are_served(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for path in LESSONS_DIR.glob("*.json"):
        (tmp_path / path.name).write_text(path.read_text())
    broken = json.loads((LESSONS_DIR / "overfitting.json").read_text())
    broken["steps"][1]["point_at"] = ["chart:validation"]
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    (tmp_path / "truncated.json").write_text('{"title": "Half a')
    settings = Settings(
        allowed_hosts=(*LOOPBACK_HOSTS, "testserver"), data_dir=None, lessons_dir=tmp_path
    )
    with caplog.at_level(logging.WARNING), TestClient(create_app(settings)) as client:
        assert client.get("/api/health").status_code == 200
        body = client.get("/api/lessons").json()
        assert client.get("/api/lessons/broken").status_code == 404
        assert client.get("/api/lessons/overfitting").status_code == 200
    assert len(body["lessons"]) == len(list(LESSONS_DIR.glob("*.json")))
    invalid = {item["file"]: item["error"] for item in body["invalid"]}
    assert set(invalid) == {"broken.json", "truncated.json"}
    assert invalid["broken.json"].startswith("steps.1.point_at: Value error, 'chart:validation'")
    assert invalid["truncated.json"].startswith("not valid JSON")
    assert "broken.json skipped: steps.1.point_at" in caplog.text
    assert "truncated.json skipped: not valid JSON" in caplog.text
