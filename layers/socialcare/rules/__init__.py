"""Pure decisions of the care domain: threading, response targets, messaging windows, routing."""
