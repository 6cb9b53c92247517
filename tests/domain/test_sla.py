from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kefu.clock import FakeClock
from kefu.domain.business_calendar import BusinessCalendar, weekly
from kefu.domain.priority import PriorityLabel
from kefu.domain.sla import (
    EscalationStep,
    SlaClock,
    SlaEvent,
    SlaEventKind,
    SlaPolicy,
    SlaStatus,
    SlaTarget,
    TimelineFacts,
    compute_deadlines,
    due_escalations,
    next_escalation_at,
    sla_status,
)
from kefu.domain.vocabulary import PromiseKind

SH = ZoneInfo("Asia/Shanghai")
OFFICE = BusinessCalendar.china(weekly(weekdays=["09:00-18:00"]))
ALWAYS = BusinessCalendar.always_open()
POLICY = SlaPolicy()


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH).astimezone(UTC)


def ev(kind: SlaEventKind, at: datetime) -> SlaEvent:
    return SlaEvent(kind, at)


MONDAY_10 = sh(2026, 11, 23, 10)


def test_default_targets_follow_the_seeds() -> None:
    assert POLICY.target_for("normal", "order_status", PromiseKind.CHAT) == SlaTarget(
        timedelta(minutes=10), timedelta(hours=2)
    )
    assert POLICY.target_for("normal", "refund", "chat").resolution == timedelta(hours=24)
    assert POLICY.target_for("normal", None, "message").first_response == timedelta(minutes=30)
    assert POLICY.target_for("normal", None, "callback").first_response == timedelta(hours=1)
    urgent = POLICY.target_for(PriorityLabel.URGENT, "account_security", "chat")
    assert urgent == SlaTarget(timedelta(minutes=5), timedelta(hours=12))
    assert POLICY.target_for("low", None, "chat").first_response == timedelta(minutes=10)


def test_overrides_most_specific_first() -> None:
    policy = SlaPolicy(
        overrides={
            (None, "refund"): SlaTarget(timedelta(minutes=15), timedelta(hours=48)),
            (PriorityLabel.URGENT, "refund"): SlaTarget(timedelta(minutes=2), None),
            (PriorityLabel.HIGH, None): SlaTarget(timedelta(minutes=3), timedelta(hours=1)),
        },
        complex_categories=frozenset({"custom_dispute"}),
    )
    assert policy.target_for("urgent", "refund", "chat") == SlaTarget(timedelta(minutes=2), None)
    assert policy.target_for("normal", "refund", "chat").resolution == timedelta(hours=48)
    assert policy.target_for("high", "other", "chat").first_response == timedelta(minutes=3)
    assert policy.target_for("normal", "custom_dispute", "chat").resolution == timedelta(hours=24)
    assert policy.target_for("normal", "refund", "chat").first_response == timedelta(minutes=15)


def test_first_response_travel_in_time() -> None:
    clock = FakeClock(MONDAY_10)
    sla = SlaClock(POLICY, OFFICE, clock)
    facts = TimelineFacts(created_at=clock.now())
    d = sla.deadlines(facts)
    assert d.first_response_due == MONDAY_10 + timedelta(minutes=10)
    assert d.first_response_warn_at == MONDAY_10 + timedelta(minutes=8)
    assert sla.status(facts).first_response is SlaStatus.OK
    clock.advance(minutes=8)
    assert sla.status(facts).first_response is SlaStatus.WARNING
    assert sla.status(facts).overall is SlaStatus.WARNING
    clock.advance(minutes=2)
    state = sla.status(facts)
    assert state.first_response is SlaStatus.BREACHED
    assert state.breached_at == MONDAY_10 + timedelta(minutes=10)

    replied = TimelineFacts(
        created_at=MONDAY_10,
        events=(ev(SlaEventKind.AGENT_REPLY, MONDAY_10 + timedelta(minutes=7)),),
    )
    assert sla.status(replied).first_response is SlaStatus.MET
    late = TimelineFacts(
        created_at=MONDAY_10,
        events=(ev(SlaEventKind.AGENT_REPLY, MONDAY_10 + timedelta(minutes=12)),),
    )
    assert sla.status(late).first_response is SlaStatus.BREACHED


def test_first_response_waits_for_opening_hours() -> None:
    friday_evening = sh(2026, 11, 27, 17, 55)
    d = compute_deadlines(POLICY, OFFICE, TimelineFacts(created_at=friday_evening))
    assert d.first_response_due == sh(2026, 11, 30, 9, 5)
    d247 = compute_deadlines(POLICY, ALWAYS, TimelineFacts(created_at=friday_evening))
    assert d247.first_response_due == friday_evening + timedelta(minutes=10)


def test_simple_and_complex_resolution() -> None:
    simple = compute_deadlines(POLICY, OFFICE, TimelineFacts(created_at=MONDAY_10))
    assert simple.resolution_due == MONDAY_10 + timedelta(hours=2)
    assert simple.resolution_warn_at == MONDAY_10 + timedelta(minutes=96)
    dispute = compute_deadlines(
        POLICY, OFFICE, TimelineFacts(created_at=MONDAY_10, category="refund")
    )
    # Mon 10-18 (8h), Tue 9h, Wed 7h -> Wed 16:00
    assert dispute.resolution_due == sh(2026, 11, 25, 16)


def test_complex_dispute_across_spring_festival_2026() -> None:
    facts = TimelineFacts(created_at=sh(2026, 2, 13, 10), category="card_invalid")
    d = compute_deadlines(POLICY, OFFICE, facts)
    # Fri 8h + Sat 2/14 调休 9h = 17h, then closed until Tue 2/24: 7h more
    assert d.resolution_due == sh(2026, 2, 24, 16)


def test_pause_while_waiting_for_customer_extends_resolution() -> None:
    clock = FakeClock(MONDAY_10)
    sla = SlaClock(POLICY, OFFICE, clock)
    start_wait = MONDAY_10 + timedelta(minutes=30)
    paused = TimelineFacts(
        created_at=MONDAY_10,
        events=(
            ev(SlaEventKind.AGENT_REPLY, MONDAY_10 + timedelta(minutes=5)),
            ev(SlaEventKind.WAITING_CUSTOMER_START, start_wait),
        ),
    )
    clock.set(MONDAY_10 + timedelta(hours=5))
    d = sla.deadlines(paused)
    assert d.resolution_due is None
    assert d.paused_since == start_wait
    state = sla.status(paused)
    assert state.resolution is SlaStatus.PAUSED
    assert state.first_response is SlaStatus.MET
    assert state.overall is SlaStatus.PAUSED

    resumed = TimelineFacts(
        created_at=MONDAY_10,
        events=(
            *paused.events,
            ev(SlaEventKind.WAITING_CUSTOMER_END, start_wait + timedelta(minutes=45)),
        ),
    )
    d2 = sla.deadlines(resumed)
    assert d2.resolution_due == MONDAY_10 + timedelta(hours=2, minutes=45)
    assert d2.resolution_paused == timedelta(minutes=45)
    assert d2.paused_since is None
    assert sla.status(resumed).resolution is SlaStatus.BREACHED  # now = 15:00


def test_pause_over_night_counts_only_business_time() -> None:
    created = sh(2026, 11, 23, 16)
    facts = TimelineFacts(
        created_at=created,
        events=(
            ev(SlaEventKind.WAITING_CUSTOMER_START, sh(2026, 11, 23, 17)),
            ev(SlaEventKind.WAITING_CUSTOMER_END, sh(2026, 11, 24, 10)),
        ),
    )
    d = compute_deadlines(POLICY, OFFICE, facts)
    # 1h used Monday, paused 17-18 and 09-10 (2h business), 1h left from Tue 10:00
    assert d.resolution_paused == timedelta(hours=2)
    assert d.resolution_due == sh(2026, 11, 24, 11)


def test_pause_after_the_breach_does_not_undo_it() -> None:
    facts = TimelineFacts(
        created_at=MONDAY_10,
        events=(ev(SlaEventKind.WAITING_CUSTOMER_START, MONDAY_10 + timedelta(hours=3)),),
    )
    d = compute_deadlines(POLICY, OFFICE, facts)
    assert d.resolution_due == MONDAY_10 + timedelta(hours=2)
    assert not d.is_paused
    assert sla_status(d, MONDAY_10 + timedelta(hours=4)).resolution is SlaStatus.BREACHED


def test_resolution_met_or_breached() -> None:
    on_time = TimelineFacts(
        created_at=MONDAY_10,
        events=(
            ev(SlaEventKind.AGENT_REPLY, MONDAY_10 + timedelta(minutes=1)),
            ev(SlaEventKind.RESOLVED, MONDAY_10 + timedelta(hours=1)),
        ),
    )
    state = sla_status(compute_deadlines(POLICY, OFFICE, on_time), MONDAY_10 + timedelta(days=3))
    assert (state.first_response, state.resolution) == (SlaStatus.MET, SlaStatus.MET)
    assert state.overall is SlaStatus.MET
    assert state.next_check_at is None

    late = TimelineFacts(
        created_at=MONDAY_10,
        events=(ev(SlaEventKind.RESOLVED, MONDAY_10 + timedelta(hours=3)),),
    )
    state = sla_status(compute_deadlines(POLICY, OFFICE, late), MONDAY_10 + timedelta(hours=3))
    assert state.resolution is SlaStatus.BREACHED


def test_reopen_resumes_resolution_and_rearms_first_response() -> None:
    resolved = MONDAY_10 + timedelta(hours=1)
    reopened = sh(2026, 11, 24, 10)
    facts = TimelineFacts(
        created_at=MONDAY_10,
        events=(
            ev(SlaEventKind.AGENT_REPLY, MONDAY_10 + timedelta(minutes=2)),
            ev(SlaEventKind.RESOLVED, resolved),
            ev(SlaEventKind.REOPENED, reopened),
        ),
    )
    d = compute_deadlines(POLICY, OFFICE, facts)
    assert d.resolved_at is None
    assert d.first_response_at is None
    assert d.first_response_due == reopened + timedelta(minutes=10)
    # 1h consumed before the resolve, 1h left after the reopen
    assert d.resolution_due == reopened + timedelta(hours=1)
    state = sla_status(d, reopened + timedelta(minutes=1))
    assert state.overall is SlaStatus.OK
    assert state.next_check_at == reopened + timedelta(minutes=8)


def test_next_check_at_walks_through_warn_and_due() -> None:
    d = compute_deadlines(POLICY, ALWAYS, TimelineFacts(created_at=MONDAY_10))
    assert sla_status(d, MONDAY_10).next_check_at == MONDAY_10 + timedelta(minutes=8)
    assert sla_status(d, MONDAY_10 + timedelta(minutes=9)).next_check_at == (
        MONDAY_10 + timedelta(minutes=10)
    )
    assert sla_status(d, MONDAY_10 + timedelta(minutes=11)).next_check_at == (
        MONDAY_10 + timedelta(minutes=96)
    )


def test_escalation_steps_on_breach() -> None:
    clock = FakeClock(MONDAY_10)
    sla = SlaClock(POLICY, ALWAYS, clock)
    facts = TimelineFacts(created_at=MONDAY_10)
    assert due_escalations(POLICY, sla.status(facts), clock.now()) == ()
    clock.advance(minutes=10)
    state = sla.status(facts)
    steps = due_escalations(POLICY, state, clock.now())
    assert steps == (EscalationStep(timedelta(0), raise_priority_by=1, notify_supervisor=True),)
    assert next_escalation_at(POLICY, state, already_applied=1) == clock.now() + timedelta(
        minutes=30
    )
    clock.advance(minutes=30)
    later = due_escalations(POLICY, sla.status(facts), clock.now(), already_applied=1)
    assert len(later) == 1 and later[0].raise_priority_by == 1
    assert due_escalations(POLICY, sla.status(facts), clock.now(), already_applied=2) == ()
    assert next_escalation_at(POLICY, sla.status(facts), already_applied=2) is None


def test_reassign_on_breach_is_configurable() -> None:
    policy = SlaPolicy(reassign_on_breach=True)
    state = sla_status(
        compute_deadlines(policy, ALWAYS, TimelineFacts(created_at=MONDAY_10)),
        MONDAY_10 + timedelta(hours=1),
    )
    steps = due_escalations(policy, state, MONDAY_10 + timedelta(hours=1))
    assert [s.reassign for s in steps] == [False, True]
    assert not any(s.reassign for s in POLICY.escalation_steps())


@pytest.mark.parametrize(
    ("channel", "minutes"),
    [(PromiseKind.CHAT, 10), (PromiseKind.MESSAGE, 30), (PromiseKind.CALLBACK, 60)],
)
def test_channel_first_response(channel: PromiseKind, minutes: int) -> None:
    d = compute_deadlines(POLICY, ALWAYS, TimelineFacts(created_at=MONDAY_10, channel=channel))
    assert d.first_response_due == MONDAY_10 + timedelta(minutes=minutes)


def test_no_target_means_no_status() -> None:
    policy = SlaPolicy(overrides={(PriorityLabel.LOW, None): SlaTarget(None, None)})
    d = compute_deadlines(policy, ALWAYS, TimelineFacts(created_at=MONDAY_10, priority="low"))
    state = sla_status(d, MONDAY_10 + timedelta(days=9))
    assert state.overall is SlaStatus.NONE
    assert state.overall.label == "none"
