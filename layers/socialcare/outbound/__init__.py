"""Outbound: agents' replies delivered through each platform's reply API, at most once."""
