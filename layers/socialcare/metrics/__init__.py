"""The care floor's metrics: event metrics from case writes (``events``), the open-work snapshot
(``open_work``) and its scheduled publisher (``publisher``), the teams it watches (``teams``)."""
