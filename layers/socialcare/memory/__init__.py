"""In-memory twins of the adapters in ``socialcare.aws``: the same ports, the same semantics (held to
them by ``tests/contract``), for unit tests of the services."""
