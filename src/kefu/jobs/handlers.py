"""Job kinds and the functions that run them, by dotted path (imported lazily)."""

from __future__ import annotations

JOB_HANDLERS: dict[str, str] = {
    "email.notify": "kefu.actions.notifications:run_email_job",
}
