"""The kefu command, as a new user runs it: migrate, demo twice, tokens, admins."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from kefu.domain.tenant_settings import TenantSettings


def kefu(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KEFU_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'kefu.db'}",
        "KEFU_DATA_DIR": str(tmp_path / "var"),
        "KEFU_ARGON2_MEMORY_KIB": "1024",
        "KEFU_ARGON2_TIME_COST": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "kefu.cli", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def counts(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        return {
            t: con.execute(f"select count(*) from {t}").fetchone()[0]
            for t in ("tenants", "agents", "customers", "orders", "departments", "merchants")
        }
    finally:
        con.close()


def test_migrate_and_demo_are_idempotent(tmp_path: Path) -> None:
    assert kefu(tmp_path, "migrate").returncode == 0
    first = kefu(tmp_path, "demo")
    assert first.returncode == 0, first.stderr
    assert "admin@demo.kefu.local" in first.stdout and "/healthz" in first.stdout
    before = counts(tmp_path / "var" / "kefu.db")
    assert before["agents"] >= 5 and before["orders"] >= 5
    second = kefu(tmp_path, "demo")
    assert second.returncode == 0 and "已存在" in second.stdout
    assert kefu(tmp_path, "migrate").returncode == 0
    assert counts(tmp_path / "var" / "kefu.db") == before
    # the demo wrote its settings through the validating action (typed, versioned)
    con = sqlite3.connect(tmp_path / "var" / "kefu.db")
    try:
        (raw,) = con.execute("select settings from tenants").fetchone()
    finally:
        con.close()
    settings = json.loads(raw)
    assert settings["version"] == TenantSettings().version
    assert settings["sla_policy"]["warning_ratio"] == 0.8
    assert {c["type"] for c in settings["official_channels"]} >= {"qq", "wechat", "website"}


def test_create_token_and_admin(tmp_path: Path) -> None:
    kefu(tmp_path, "migrate")
    kefu(tmp_path, "demo")
    out = kefu(tmp_path, "create-token", "--name", "shop")
    assert out.returncode == 0
    assert any(line.startswith("kfm_") for line in out.stdout.splitlines())
    out = kefu(
        tmp_path,
        "create-admin",
        "--email",
        "boss@x.test",
        "--password",
        "longpassword",
        "--agent-no",
        "KF9",
    )
    assert out.returncode == 0, out.stderr
    dup = kefu(
        tmp_path,
        "create-admin",
        "--email",
        "boss@x.test",
        "--password",
        "longpassword",
        "--agent-no",
        "KF10",
    )
    assert dup.returncode == 2 and "email_taken" in dup.stderr
    missing = kefu(tmp_path, "create-token", "--tenant", "nope", "--name", "x")
    assert missing.returncode == 2 and "not_found" in missing.stderr


def test_mail_in_turns_mail_into_a_ticket(tmp_path: Path) -> None:
    import smtplib
    import time
    from email.message import EmailMessage

    from tests.livesrv import free_port

    kefu(tmp_path, "migrate")
    kefu(tmp_path, "demo")
    port = free_port()
    env = {
        **os.environ,
        "KEFU_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'kefu.db'}",
        "KEFU_DATA_DIR": str(tmp_path / "var"),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kefu.cli",
            "mail-in",
            "--address",
            "help@demo.test",
            "--port",
            str(port),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert "receiving mail" in proc.stdout.readline()
        msg = EmailMessage()
        msg["From"] = "王先生 <wang@example.com>"
        msg["To"] = "help@demo.test"
        msg["Subject"] = "充值 100 元没到账"
        msg["Message-ID"] = "<first-mail@example.com>"
        msg.set_content("订单 KM20261123100012345 付款了但一直没到账，麻烦查一下。")
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.send_message(msg)
            try:
                smtp.sendmail("x@example.com", ["nobody@demo.test"], msg.as_bytes())
                raise AssertionError("unknown recipient accepted")
            except smtplib.SMTPRecipientsRefused:
                pass
        con = sqlite3.connect(tmp_path / "var" / "kefu.db")
        deadline = time.monotonic() + 30
        rows: list[tuple[str, str]] = []
        while time.monotonic() < deadline and not rows:
            rows = con.execute("select channel, subject from conversations").fetchall()
            time.sleep(0.1)
        con.close()
        assert rows == [("email", "充值 100 元没到账")]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
