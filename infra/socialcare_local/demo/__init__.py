"""``socialcare demo``: a fresh local stack, the scenario played over real HTTP, a readable summary.

The scenario is a list of ``Step`` objects (``scenario.SCENARIO``): customers' steps send what the
platforms would send, through the platform sandbox; the care team's steps (``care_team``) work the
cases through the agent API (``agents.ApiAgent``) with tokens the stack issued; ``escalation`` leaves
Joe's DM unanswered on the demo's own short X DM target and watches the case clock warn and breach.
Each step carries the ``Check`` objects that must hold once everything has been processed.
``run.run_demo`` plays it.

Imports go one way: ``errors`` and ``notifications`` ← ``agents`` ← ``context`` ← ``care_team`` and
``escalation`` ← ``scenario`` ← ``run`` (``people`` and ``summary`` beside them); nothing here
imports this package's ``__init__``.
"""
