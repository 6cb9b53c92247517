"""Routing: which agent takes which waiting conversation (pure, no I/O).

Rules (docs/routing.md):

* Queue order: effective priority (base score + linear ageing, see priority.py),
  then VIP level, then enqueue time, then id. Because ageing is linear the order
  never changes with time, so :class:`RoutingBoard` keeps static heap keys.
* An agent is eligible when ``presence == online`` and ``active < capacity``.
* A conversation with an exclusive agent (专属客服) goes to that agent when it is
  eligible, whatever the department; otherwise normal routing.
* Normal routing: an eligible agent of the conversation's department, least active
  first, then longest idle (never assigned first), then id.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from kefu.clock import ensure_aware
from kefu.domain.priority import AGEING_POINTS_PER_MINUTE, static_queue_key
from kefu.domain.vocabulary import CATEGORIES, Department, Presence

# -- departments ----------------------------------------------------------------------

#: The default intent/category -> department table (from the vocabulary).
DEFAULT_INTENT_DEPARTMENTS: dict[str, str] = {c.code: c.department for c in CATEGORIES}


@dataclass(frozen=True)
class DepartmentMapping:
    """A tenant's intent/category -> department table; unknown intents go to `fallback`."""

    routes: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_INTENT_DEPARTMENTS))
    fallback: str = Department.PRESALES


def department_for(intent: str | None, mapping: DepartmentMapping | None = None) -> str:
    table = mapping or DepartmentMapping()
    if intent is None:
        return table.fallback
    return table.routes.get(intent.strip().lower(), table.fallback)


# -- inputs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitingConversation:
    id: str
    department: str
    priority: float  # base score from priority.priority_score (tier points included)
    enqueued_at: datetime
    customer_tier: int = 0  # VIP level 0..5
    exclusive_agent_id: str | None = None


@dataclass(frozen=True)
class AgentState:
    id: str
    departments: frozenset[str]
    presence: Presence
    capacity: int
    active: int = 0
    idle_since: datetime | None = None  # last assignment / last conversation closed

    @property
    def can_take(self) -> bool:
        return self.presence is Presence.ONLINE and self.active < self.capacity


_NEVER = datetime(1970, 1, 1, tzinfo=UTC)

QueueKey = tuple[float, int, float, str]
AgentKey = tuple[int, float, str]


def queue_key(
    conv: WaitingConversation, ageing_per_minute: float = AGEING_POINTS_PER_MINUTE
) -> QueueKey:
    """Smaller = served first. Independent of "now" (see priority.static_queue_key)."""
    enqueued = ensure_aware(conv.enqueued_at)
    return (
        -static_queue_key(conv.priority, enqueued, ageing_per_minute=ageing_per_minute),
        -conv.customer_tier,
        enqueued.timestamp(),
        conv.id,
    )


def agent_key(agent: AgentState) -> AgentKey:
    """Smaller = preferred: least active, then longest idle, then id."""
    idle = ensure_aware(agent.idle_since) if agent.idle_since is not None else _NEVER
    return (agent.active, idle.timestamp(), agent.id)


# -- simple functions -----------------------------------------------------------------


def order_queue(
    waiting: Iterable[WaitingConversation],
    now: datetime | None = None,
    *,
    ageing_per_minute: float = AGEING_POINTS_PER_MINUTE,
) -> list[WaitingConversation]:
    """Waiting conversations in service order (effective priority, VIP, wait, id).

    `now` does not change the order (linear ageing); it is accepted for clarity.
    """
    del now
    return sorted(waiting, key=lambda c: queue_key(c, ageing_per_minute))


def queue_position(
    conv_id: str, waiting: Iterable[WaitingConversation], now: datetime | None = None
) -> int | None:
    """1-based place of `conv_id` among the conversations of its own department."""
    items = list(waiting)
    target = next((c for c in items if c.id == conv_id), None)
    if target is None:
        return None
    mine = [c for c in items if c.department == target.department]
    ordered = order_queue(mine, now)
    return next(i for i, c in enumerate(ordered, start=1) if c.id == conv_id)


def choose_agent(conv: WaitingConversation, agents: Iterable[AgentState]) -> str | None:
    """The agent for one conversation, or None when nobody eligible is free."""
    best: AgentState | None = None
    best_key: AgentKey | None = None
    for agent in agents:
        if not agent.can_take:
            continue
        if conv.exclusive_agent_id is not None and agent.id == conv.exclusive_agent_id:
            return agent.id
        if conv.department not in agent.departments:
            continue
        key = agent_key(agent)
        if best_key is None or key < best_key:
            best, best_key = agent, key
    return best.id if best is not None else None


# -- the board: incremental structure for fast decisions ------------------------------


class RoutingBoard:
    """Waiting conversations and agents, indexed for O(D + X + log n) decisions.

    D = departments with waiting conversations, X = agents with exclusive customers
    waiting. Per department: a heap of waiting conversations (static keys) and a heap
    of eligible agents; per exclusive agent: a heap of its VIP conversations. Removed
    or changed entries are dropped lazily when they reach the top of a heap.
    """

    def __init__(self, *, ageing_per_minute: float = AGEING_POINTS_PER_MINUTE) -> None:
        self._ageing = ageing_per_minute
        self._convs: dict[str, WaitingConversation] = {}
        self._conv_keys: dict[str, QueueKey] = {}
        self._dept_queues: dict[str, list[QueueKey]] = {}
        self._exclusive_queues: dict[str, list[QueueKey]] = {}
        self._agents: dict[str, AgentState] = {}
        self._agent_version: dict[str, int] = {}
        self._dept_agents: dict[str, list[tuple[AgentKey, int]]] = {}

    @classmethod
    def build(
        cls,
        waiting: Iterable[WaitingConversation],
        agents: Iterable[AgentState],
        *,
        ageing_per_minute: float = AGEING_POINTS_PER_MINUTE,
    ) -> RoutingBoard:
        board = cls(ageing_per_minute=ageing_per_minute)
        for agent in agents:
            board.upsert_agent(agent)
        for conv in waiting:
            board.add_conversation(conv)
        return board

    # conversations

    def __len__(self) -> int:
        return len(self._convs)

    def add_conversation(self, conv: WaitingConversation) -> None:
        key = queue_key(conv, self._ageing)
        self._convs[conv.id] = conv
        self._conv_keys[conv.id] = key
        heapq.heappush(self._dept_queues.setdefault(conv.department, []), key)
        if conv.exclusive_agent_id is not None:
            heapq.heappush(self._exclusive_queues.setdefault(conv.exclusive_agent_id, []), key)

    def remove_conversation(self, conv_id: str) -> None:
        self._convs.pop(conv_id, None)
        self._conv_keys.pop(conv_id, None)

    def _top_conv(self, heap: list[QueueKey]) -> QueueKey | None:
        while heap:
            key = heap[0]
            if self._conv_keys.get(key[3]) == key:
                return key
            heapq.heappop(heap)
        return None

    # agents

    def agent(self, agent_id: str) -> AgentState | None:
        return self._agents.get(agent_id)

    def upsert_agent(self, agent: AgentState) -> None:
        version = self._agent_version.get(agent.id, 0) + 1
        self._agent_version[agent.id] = version
        self._agents[agent.id] = agent
        if agent.can_take:
            key = agent_key(agent)
            for dept in agent.departments:
                heap = self._dept_agents.setdefault(dept, [])
                heapq.heappush(heap, (key, version))
                if len(heap) > 64 and len(heap) > 4 * len(self._agents):
                    self._compact_agents(dept)

    def remove_agent(self, agent_id: str) -> None:
        self._agents.pop(agent_id, None)
        self._agent_version[agent_id] = self._agent_version.get(agent_id, 0) + 1

    def _compact_agents(self, dept: str) -> None:
        heap = [
            entry
            for entry in self._dept_agents[dept]
            if self._agent_version.get(entry[0][2]) == entry[1]
        ]
        heapq.heapify(heap)
        self._dept_agents[dept] = heap

    def _top_agent(self, dept: str) -> str | None:
        heap = self._dept_agents.get(dept)
        while heap:
            (_key, version) = heap[0]
            agent_id = _key[2]
            agent = self._agents.get(agent_id)
            if (
                agent is not None
                and self._agent_version.get(agent_id) == version
                and agent.can_take
            ):
                return agent_id
            heapq.heappop(heap)
        return None

    def _exclusive_free(self, agent_id: str | None) -> bool:
        if agent_id is None:
            return False
        agent = self._agents.get(agent_id)
        return agent is not None and agent.can_take

    # decisions

    def next_assignment(self) -> tuple[str, str] | None:
        """The next (conversation id, agent id) in queue order, without applying it."""
        best: tuple[QueueKey, str] | None = None
        for dept, heap in self._dept_queues.items():
            top = self._top_conv(heap)
            if top is None:
                continue
            conv = self._convs[top[3]]
            if self._exclusive_free(conv.exclusive_agent_id):
                agent_id: str | None = conv.exclusive_agent_id
            else:
                agent_id = self._top_agent(dept)
            if agent_id is not None and (best is None or top < best[0]):
                best = (top, agent_id)
        for agent_id, heap in self._exclusive_queues.items():
            if not self._exclusive_free(agent_id):
                continue
            top = self._top_conv(heap)
            if top is not None and (best is None or top < best[0]):
                best = (top, agent_id)
        if best is None:
            return None
        return best[0][3], best[1]

    def assign(self, conv_id: str, agent_id: str, now: datetime) -> None:
        """Apply an assignment: the conversation leaves the queue, the agent's load grows."""
        self.remove_conversation(conv_id)
        agent = self._agents[agent_id]
        self.upsert_agent(replace(agent, active=agent.active + 1, idle_since=now))

    def pop_next(self, now: datetime) -> tuple[str, str] | None:
        decision = self.next_assignment()
        if decision is not None:
            self.assign(decision[0], decision[1], now)
        return decision


def plan_assignments(
    waiting: Iterable[WaitingConversation],
    agents: Iterable[AgentState],
    now: datetime,
    *,
    ageing_per_minute: float = AGEING_POINTS_PER_MINUTE,
) -> list[tuple[str, str]]:
    """Every assignment that can be made now, in queue order.

    Never exceeds an agent's capacity and never assigns one conversation twice.
    """
    board = RoutingBoard.build(waiting, agents, ageing_per_minute=ageing_per_minute)
    now = ensure_aware(now)
    plan: list[tuple[str, str]] = []
    while (decision := board.pop_next(now)) is not None:
        plan.append(decision)
    return plan
