"""Department escalation on the outbound function's side: asking the department (``requests``)."""
