"""What agents, team leads and admins do with cases: the agent API's core, free of HTTP.

``identity`` turns verified token claims into a ``Caller``; ``access`` decides what a caller may
do; ``commands`` validates request bodies and query parameters; ``service`` carries out each
action on ``storage.agent_store``; ``views`` renders the results as JSON documents.
"""
