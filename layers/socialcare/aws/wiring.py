"""How every function module (and the agent API) is wired: the one way to inject clients and clock.

A Lambda function builds its service once per process, from its configuration, the boto3 clients it
needs and the clock. Tests and the local stack replace clients and clock through ``Wiring.wire`` —
the only override there is — and ``wire()`` with nothing puts the defaults back. In AWS nothing is
injected: clients are made on first use from one boto3 session.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from socialcare.clock import Clock, system_clock

T = TypeVar("T")


class AwsClients:
    """boto3 clients by service name ("dynamodb", "sqs", ...): the given ones, else made on first use."""

    def __init__(self, given: Mapping[str, Any] | None = None) -> None:
        self._given = dict(given or {})
        self._made: dict[str, Any] = {}
        self._session: Any = None
        self._lock = threading.Lock()

    def __call__(self, service: str) -> Any:
        if service in self._given:
            return self._given[service]
        with self._lock:
            if service not in self._made:
                if self._session is None:
                    import boto3  # deferred: a function that is only given clients never imports boto3's session

                    self._session = boto3.session.Session()
                self._made[service] = self._session.client(service)
            return self._made[service]


def lazy_client(service: str, given: Any | None) -> Callable[[], Any]:
    """For an adapter's optional ``client`` argument: the given client, else one made on first use."""
    holder: list[Any] = [given]

    def get() -> Any:
        if holder[0] is None:
            import boto3

            holder[0] = boto3.client(service)
        return holder[0]

    return get


class Wiring(Generic[T]):
    """A process's service, built on first use by ``build(clients, clock)`` and kept for the process."""

    def __init__(self, build: Callable[[AwsClients, Clock], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._clients: Mapping[str, Any] = {}
        self._clock: Clock = system_clock
        self._built: T | None = None

    def wire(self, *, clients: Mapping[str, Any] | None = None, clock: Clock | None = None) -> None:
        """Run on these boto3 clients (by service name) and this clock; forget what was built.

        ``wire()`` with no arguments restores the defaults (clients made here, the system clock)."""
        with self._lock:
            self._clients = dict(clients or {})
            self._clock = clock or system_clock
            self._built = None

    def get(self) -> T:
        with self._lock:
            if self._built is None:
                self._built = self._build(AwsClients(self._clients), self._clock)
            return self._built

    @property
    def clock(self) -> Clock:
        return self._clock
