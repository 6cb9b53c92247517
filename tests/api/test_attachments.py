"""Attachments: type checked by content, size-limited, readable only by the right people."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.pixels import PDF_BYTES, png_bytes
from tests.world import As, World


def upload(party: As, name: str, content: bytes, ctype: str = "image/png") -> object:
    return party.post("/api/v1/attachments", files={"file": (name, content, ctype)})


def test_image_upload_and_message(customer: As, alice: As, customer2: As) -> None:
    r = upload(customer, "../../etc/截图.png", png_bytes())
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]
    att = r.json()  # type: ignore[attr-defined]
    assert att["content_type"] == "image/png" and att["filename"] == "截图.png"
    conv = customer.post(
        "/api/v1/conversations", json={"body": "看截图", "attachment_ids": [att["id"]]}
    ).json()
    events = alice.get(f"/api/v1/conversations/{conv['id']}/events").json()["events"]
    assert events[0]["data"]["attachments"][0]["id"] == att["id"]
    got = alice.get(f"/api/v1/attachments/{att['id']}")
    assert got.status_code == 200 and got.content == png_bytes()
    assert got.headers["x-content-type-options"] == "nosniff"
    assert customer.get(f"/api/v1/attachments/{att['id']}").status_code == 200
    assert customer2.get(f"/api/v1/attachments/{att['id']}").status_code == 404


def test_pdf_accepted(customer: As) -> None:
    r = upload(customer, "发票.pdf", PDF_BYTES, "application/pdf")
    assert r.status_code == 201 and r.json()["content_type"] == "application/pdf"  # type: ignore[attr-defined]


def test_type_is_checked_by_content(customer: As) -> None:
    r = upload(customer, "evil.png", b"<script>alert(1)</script>", "image/png")
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert r.json()["error"]["code"] == "unsupported_file_type"  # type: ignore[attr-defined]
    r = upload(customer, "empty.png", b"")
    assert r.json()["error"]["code"] == "empty_file"  # type: ignore[attr-defined]


def test_size_limit(customer: As) -> None:
    big = png_bytes() + b"\0" * (10 * 1024 * 1024)
    r = upload(customer, "big.png", big)
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert r.json()["error"]["code"] == "file_too_large"  # type: ignore[attr-defined]


def test_cannot_reuse_someone_elses_upload(customer: As, customer2: As) -> None:
    att = upload(customer, "a.png", png_bytes()).json()  # type: ignore[attr-defined]
    r = customer2.post("/api/v1/conversations", json={"body": "x", "attachment_ids": [att["id"]]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_attachment"


def test_stored_once_on_disk(client: TestClient, customer: As, world: World) -> None:
    a = upload(customer, "a.png", png_bytes()).json()  # type: ignore[attr-defined]
    b = upload(customer, "b.png", png_bytes()).json()  # type: ignore[attr-defined]
    assert a["id"] != b["id"]
    from tests.api.conftest import kefu_of

    files = [p for p in kefu_of(client).settings.attachments_dir.rglob("*") if p.is_file()]
    assert len(files) == 1
