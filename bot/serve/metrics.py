"""What the servers count, in Prometheus' format (``GET /metrics``).

Each :class:`Metrics` has a registry of its own (no process-wide state), so
two bots in one process, or two tests, never count into each other.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["CONTENT_TYPE", "Metrics"]

_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """The counters of one bot: updates by outcome, latency, lock waits, store errors, reloads."""

    def __init__(self, channel: str = "telegram") -> None:
        self.channel = channel
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter(
            "kzbot_updates",
            "Updates handled, by channel and outcome "
            "(answered, duplicate, busy, flood_limited, ignored, failed, rejected).",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "kzbot_turn_seconds",
            "Time from receiving an update to its answer being sent.",
            ["channel"],
            buckets=_LATENCY,
            registry=self.registry,
        )
        self.lock_wait = Histogram(
            "kzbot_lock_wait_seconds",
            "Time waiting for a chat's lock (another turn of the same chat).",
            buckets=_LATENCY,
            registry=self.registry,
        )
        self.store_errors = Counter(
            "kzbot_store_errors",
            "Store operations that failed (the turn went on without them).",
            ["operation"],
            registry=self.registry,
        )
        self.send_failures = Counter(
            "kzbot_send_failures",
            "Replies that could not be sent, by kind (ambiguous: Telegram may have them).",
            ["kind"],
            registry=self.registry,
        )
        self.reloads = Gauge(
            "kzbot_knowledge_base_reloads",
            "Knowledge-base reloads since start.",
            registry=self.registry,
        )
        self.knowledge_base = Gauge(
            "kzbot_knowledge_base_info",
            "The knowledge base in service (its version is a hash of its files).",
            ["version"],
            registry=self.registry,
        )

    # -- what Conversations reports (bot.serve.conversations.Observer) --------------

    def store_failed(self, operation: str) -> None:
        self.store_errors.labels(operation).inc()

    def lock_waited(self, seconds: float) -> None:
        self.lock_wait.observe(seconds)

    # -- what the front ends report -------------------------------------------------

    def update(self, outcome: str, seconds: float | None = None, *, channel: str = "") -> None:
        channel = channel or self.channel
        self.updates.labels(channel, outcome).inc()
        if seconds is not None:
            self.latency.labels(channel).observe(seconds)

    def knowledge_base_in_service(self, version: str, reloads: int) -> None:
        self.knowledge_base.clear()
        self.knowledge_base.labels(version).set(1)
        self.reloads.set(reloads)

    def render(self) -> bytes:
        return generate_latest(self.registry)
