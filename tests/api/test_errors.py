"""Bad input gets a 4xx JSON error with a stable code and zh/en messages, never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import kefu_of
from tests.world import As, World


def assert_error(r: object, status: int, code: str) -> None:
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    err = r.json()["error"]  # type: ignore[attr-defined]
    assert err["code"] == code
    assert err["message"] and err["message_en"]


def test_malformed_json(client: TestClient, customer: As) -> None:
    r = customer.post(
        "/api/v1/conversations",
        content=b'{"body": "unterminated',
        headers={"content-type": "application/json"},
    )
    assert_error(r, 422, "malformed_json")


def test_wrong_types_and_unknown_fields(customer: As) -> None:
    assert_error(
        customer.post("/api/v1/conversations", json={"priority": "high"}), 422, "invalid_input"
    )
    assert_error(customer.post("/api/v1/conversations", json={"nope": 1}), 422, "invalid_input")
    assert_error(customer.post("/api/v1/conversations", json=[1, 2]), 422, "invalid_input")
    assert_error(
        customer.get("/api/v1/conversations", params={"limit": "abc"}), 422, "invalid_input"
    )
    assert_error(
        customer.get("/api/v1/conversations", params={"limit": 10**6}), 422, "invalid_input"
    )


def test_oversized_body(client: TestClient, customer: As) -> None:
    big = b"x" * (13 * 1024 * 1024)
    r = customer.post(
        "/api/v1/conversations", content=big, headers={"content-type": "application/json"}
    )
    assert_error(r, 413, "payload_too_large")


def test_unknown_route_and_method(client: TestClient) -> None:
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(client.delete("/healthz"), 405, "method_not_allowed")


def test_huge_integer_path_is_4xx(admin: As) -> None:
    r = admin.get(f"/api/v1/customers/{10**30}")
    assert 400 <= r.status_code < 500


def test_metrics_exposed(client: TestClient, world: World) -> None:
    client.get("/healthz")
    assert client.get("/metrics").status_code == 403  # the test client is not loopback
    kefu_of(client).settings.metrics_token = "m" * 32
    r = client.get("/metrics", headers={"Authorization": "Bearer " + "m" * 32})
    assert r.status_code == 200
    assert "kefu_http_requests_total" in r.text
    assert 'route="/healthz"' in r.text


def test_people_get_a_page_and_programs_get_json(client: TestClient) -> None:
    page = client.get("/help/no-such-tenant", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert 'data-testid="error-page"' in page.text and "不存在" in page.text
    api = client.get("/api/v1/nothing", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    plain = client.get("/help/no-such-tenant")
    assert plain.json()["error"]["code"] == "not_found"
