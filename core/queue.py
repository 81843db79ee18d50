"""The job queue: dramatiq on Redis, with retries, time limits and async actors.

Jobs are declared with `@job(...)` at import time but bound to a broker only by `configure_broker`, so
importing a tasks module connects nowhere and creates no broker. The process that sends jobs (the API)
and the worker process (`brobygger worker`) each call `configure_broker` once at start; a job module
imported later binds to the configured broker at once.
"""

import logging
from collections.abc import Callable
from typing import Any, Generic, ParamSpec

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import (
    AgeLimit,
    AsyncIO,
    Callbacks,
    CurrentMessage,
    Middleware,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

logger = logging.getLogger(__name__)

P = ParamSpec("P")

SECOND_MS = 1000
MINUTE_MS = 60 * SECOND_MS

DEFAULT_MAX_RETRIES = 5
DEFAULT_TIME_LIMIT_MS = 30 * MINUTE_MS
# A job still queued after a day is dropped: its work has been overtaken by later jobs.
DEFAULT_MAX_AGE_MS = 24 * 60 * MINUTE_MS


def middleware() -> list[Middleware]:
    """The middleware every broker gets: bounded retries with exponential backoff (15 s up to 10 min),
    a time limit per job, an age limit, clean shutdown notifications, and an event loop for async jobs."""
    return [
        AgeLimit(max_age=DEFAULT_MAX_AGE_MS),
        TimeLimit(time_limit=DEFAULT_TIME_LIMIT_MS, interval=SECOND_MS),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(max_retries=DEFAULT_MAX_RETRIES, min_backoff=15 * SECOND_MS, max_backoff=10 * MINUTE_MS),
        CurrentMessage(),
        AsyncIO(),
    ]


class Job(Generic[P]):
    """A declared job: call `send` to enqueue it, or call it directly to run it in-process."""

    def __init__(self, fn: Callable[P, Any], *, actor_name: str, queue_name: str, priority: int,
                 options: dict[str, Any]) -> None:
        self.fn = fn
        self.actor_name = actor_name
        self.queue_name = queue_name
        self.priority = priority
        self.options = options
        self._actor: dramatiq.Actor[P, Any] | None = None

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Any:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Job({self.actor_name!r}, queue={self.queue_name!r})"

    @property
    def actor(self) -> "dramatiq.Actor[P, Any]":
        """The dramatiq actor on the configured broker."""
        if self._actor is None:
            raise RuntimeError(f"job {self.actor_name!r} has no broker: call core.queue.configure_broker first")
        return self._actor

    def bind(self, broker: dramatiq.Broker) -> None:
        self._actor = dramatiq.Actor(self.fn, broker=broker, actor_name=self.actor_name,
                                     queue_name=self.queue_name, priority=self.priority, options=self.options)

    def send(self, *args: P.args, **kwargs: P.kwargs) -> dramatiq.Message[Any]:
        """Enqueue the job (a blocking Redis call: from async code, run it in a thread)."""
        return self.actor.send(*args, **kwargs)


_jobs: dict[str, Job[Any]] = {}
_broker: RedisBroker | None = None


def job(*, queue_name: str = "default", actor_name: str | None = None, priority: int = 0,
        **options: Any) -> Callable[[Callable[P, Any]], Job[P]]:
    """Declare a job; `options` are dramatiq actor options such as max_retries or time_limit (ms)."""

    def declare(fn: Callable[P, Any]) -> Job[P]:
        name = actor_name or fn.__name__
        if name in _jobs:
            raise ValueError(f"a job named {name!r} is already declared")
        declared: Job[P] = Job(fn, actor_name=name, queue_name=queue_name, priority=priority, options=options)
        _jobs[name] = declared
        if _broker is not None:
            declared.bind(_broker)
        return declared

    return declare


def configure_broker(redis_url: str, prefix: str) -> RedisBroker:
    """Build the Redis broker for this process, keyed under `<prefix>dramatiq`, and bind every job to it.

    Calling it again (tests do, with their own prefix) replaces the broker and rebinds the jobs.
    """
    global _broker
    broker = RedisBroker(url=redis_url, namespace=f"{prefix}dramatiq", middleware=middleware())
    if _broker is not None:
        _broker.close()
    _broker = broker
    dramatiq.set_broker(broker)
    for declared in _jobs.values():
        declared.bind(broker)
    logger.debug("dramatiq broker on %s with namespace %s", redis_url, broker.namespace)
    return broker


def current_broker() -> RedisBroker:
    if _broker is None:
        raise RuntimeError("no broker: call core.queue.configure_broker first")
    return _broker


def declared_jobs() -> dict[str, Job[Any]]:
    return dict(_jobs)
