"""Contract suites: one set of tests run against a port's DynamoDB adapter and its in-memory twin."""
