"""The local stack: the whole system on one machine.

``LocalStack`` starts the AWS services in process (moto), creates the table, queues, bucket and
platform secret from the same definitions the infrastructure uses, serves the webhook endpoints over
HTTP, and runs the queue pollers that stand in for Lambda's event source mappings. The ``sandbox``
package plays the platforms' part: it sends correctly signed deliveries to the stack.

``socialcare local`` runs it in the foreground; ``socialcare demo`` runs a scenario against it; the
end-to-end tests start it the same way (see ``tests/e2e``).

Rooms: ``emulator`` (AWS services, gateways, pollers, function loading, tokens), ``sandbox`` (the
platforms), ``demo`` (the scenario). At the top: ``cli`` (the ``socialcare`` command), ``config``
(the local config file), ``stack`` (``LocalStack``, which puts emulator and sandbox together) and
``endpoints`` (the banner of a running stack). Imports go downwards: ``cli`` → ``demo`` → ``stack`` →
``sandbox`` → ``emulator``; ``config`` is read by all and imports none of them.
"""

from __future__ import annotations
