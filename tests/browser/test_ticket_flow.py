"""A buyer files a ticket with a screenshot on the help center, tracks it, an agent
answers (API, staff session), the buyer sees the answer and rates it — in Chromium."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.pixels import png_bytes
from tests.browser.conftest import DEMO_PASSWORD, shot

pytestmark = pytest.mark.browser


def _agent_answers(base: str, public_id: str) -> None:
    with httpx.Client(base_url=base) as http:
        r = http.post(
            "/api/v1/auth/login",
            json={"email": "agent1@demo.kefu.local", "password": DEMO_PASSWORD},
        )
        assert r.status_code == 200, r.text
        headers = {"X-CSRF-Token": r.json()["csrf_token"]}
        r = http.post(
            f"/api/v1/conversations/{public_id}/messages",
            json={"body": "您好，点券已补发到您的账号，请重新登录查看。"},
            headers=headers,
        )
        assert r.status_code == 201, r.text
        r = http.post(
            f"/api/v1/conversations/{public_id}/status",
            json={"status": "resolved"},
            headers=headers,
        )
        assert r.status_code == 200, r.text


def test_file_track_answer_rate(demo_server: dict[str, Any], browser: Any) -> None:
    base = demo_server["base"]
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = phone.new_page()
    page.goto(f"{base}/help/demo")
    page.get_by_test_id("help-safety").wait_for()
    assert "400-820-1234" in page.get_by_test_id("help-official-channels").inner_text()
    page.get_by_test_id("help-search-input").fill("到账")
    page.get_by_test_id("help-suggestions").wait_for()
    shot(page, "helpcenter-home-phone")

    page.get_by_test_id("help-file-ticket").click()
    page.get_by_test_id("f-category").select_option("recharge")
    page.get_by_test_id("f-occurred_at").fill("2026-11-23T10:30")
    page.get_by_test_id("f-error_message").fill("充值失败，请稍后再试")
    page.get_by_test_id("f-description").fill("王者荣耀点券 600 充值半小时还没到账")
    page.get_by_test_id("f-contact_phone").fill("13812345678")
    # first submit without the order number: the server keeps what was typed
    page.get_by_test_id("ticket-submit").click()
    page.get_by_test_id("err-order_no").wait_for()
    assert (
        page.get_by_test_id("f-description").input_value() == "王者荣耀点券 600 充值半小时还没到账"
    )
    assert page.get_by_test_id("f-contact_phone").input_value() == "13812345678"
    page.get_by_test_id("f-order_no").fill("KM20261123100012345")
    page.get_by_test_id("f-attachments").set_input_files(
        [{"name": "截图.png", "mimeType": "image/png", "buffer": png_bytes(320, 200, "orange")}]
    )
    shot(page, "helpcenter-ticket-form")
    page.get_by_test_id("ticket-submit").click()
    number = page.get_by_test_id("ticket-number").inner_text()
    assert number.startswith("KF-")

    page.get_by_test_id("tracking-link").click()
    page.get_by_test_id("track-page").wait_for()
    assert page.get_by_test_id("track-number").inner_text() == number
    assert "截图.png" in page.get_by_test_id("track-timeline").inner_text()

    # number + last 4 in a fresh context asks for the code sent to the contact (it is
    # not a key by itself); the signed link from the confirmation reaches the same page
    tracking_link = page.url
    other = browser.new_context(viewport={"width": 390, "height": 844})
    p2 = other.new_page()
    p2.goto(f"{base}/help/demo/track")
    p2.get_by_test_id("lookup-number").fill(number)
    p2.get_by_test_id("lookup-secret").fill("0000")
    p2.get_by_test_id("lookup-submit").click()
    p2.get_by_test_id("lookup-error").wait_for()
    p2.get_by_test_id("lookup-secret").fill("5678")
    p2.get_by_test_id("lookup-submit").click()
    p2.get_by_test_id("code-sent").wait_for()
    assert "track-page" not in p2.content()
    p2.goto(tracking_link)
    p2.get_by_test_id("track-page").wait_for()
    public_id = p2.evaluate(
        "fetch(location.pathname.replace('/help/demo/t/', '/api/v1/tickets/track/'))"
        ".then(r => r.json()).then(j => j.public_id)"
    )
    other.close()

    _agent_answers(base, public_id)
    page.reload()
    assert "点券已补发" in page.get_by_test_id("track-timeline").inner_text()
    assert page.get_by_test_id("track-status").inner_text() == "已解决"
    assert "工号 KF8012" in page.get_by_test_id("track-steps").inner_text()
    page.locator("label[for=s5]").click()
    page.get_by_test_id("rate-comment").fill("很快，谢谢")
    shot(page, "helpcenter-tracking-page")
    page.get_by_test_id("rate-submit").click()
    page.get_by_test_id("track-rated").wait_for()
    assert "★★★★★" in page.get_by_test_id("track-rated").inner_text()
    shot(page, "helpcenter-tracking-rated")
    phone.close()
