"""The AWS deployment of socialcare as a CDK app (``python -m socialcare_infra.app``)."""
