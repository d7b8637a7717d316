"""What agents, team leads and admins do with cases: the agent API's core, free of HTTP.

``identity`` turns verified token claims into a ``Caller``; ``access`` decides what a caller may
do; ``commands`` are the typed requests; ``service`` is the one object the API calls, delegating
to the units over ``base`` (reads, ownership, lifecycle, sending, notes, profile_admin) that work
on the ``AgentRepository`` port (``socialcare.ports``); ``results`` are what they return.
"""
