"""The agent API's HTTP adapter: request parsing, error mapping, wiring. No business rules here."""
