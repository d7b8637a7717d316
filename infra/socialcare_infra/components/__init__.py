"""The deployment, by component; each construct takes keyword-only arguments."""
