"""In-memory twins of the AWS adapters: the same ports, the same semantics, no AWS (unit tests, demos)."""
