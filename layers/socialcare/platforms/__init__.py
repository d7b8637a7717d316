"""Platform adapters: handshakes, signature checks and payload parsing for each platform."""
