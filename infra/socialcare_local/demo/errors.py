"""How a demo step fails: raised by the steps, the context and the agents, caught by the runner."""

from __future__ import annotations


class DemoStepFailed(RuntimeError):
    """A step saw something the scenario did not expect (an unexpected HTTP status...)."""
