"""Data access: the only part of the core that talks to DynamoDB and S3."""
