"""Scripts get their labels from the server."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.world import As


def test_scripts_get_the_labels_from_the_server(client: TestClient) -> None:
    zh = client.get("/api/v1/vocabulary").json()
    en = client.get("/api/v1/vocabulary", params={"lang": "en"}).json()
    assert zh["presence"]["busy"] == "忙碌" and en["presence"]["busy"] == "Busy"
    assert zh["category"]["account_security"] == "账号安全"
    assert zh["order_status"]["refunding"] == "退款中"


def test_the_console_page_embeds_the_labels(alice: As) -> None:
    page = alice.get("/console").text
    assert 'id="kefu-labels"' in page and '"busy": "忙碌"' in page
