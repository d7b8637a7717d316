"""The emulator: AWS as the functions see it, on one machine.

``aws`` starts moto in process and creates the table, queues, bucket and secret from the same
definitions the infrastructure uses (``moto_dynamodb`` makes moto's transactions all-or-nothing).
``functions`` and ``agent_api`` load the deployed files in process; ``function_url`` stands in for
the webhook function's URL and ``api_gateway`` for the agent API's API Gateway (over ``local_http``), ``pollers`` for Lambda's SQS event
source mappings, ``tokens`` for Cognito's ID tokens. ``logs`` and ``inspect_table`` serve the rest.
"""
