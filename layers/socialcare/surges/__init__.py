"""The surge check: reads the counters ingest wrote and tells the leads of a surge, once per key and bucket."""
