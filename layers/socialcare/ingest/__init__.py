"""Ingest: normalised events become stored, threaded, timed case messages."""
