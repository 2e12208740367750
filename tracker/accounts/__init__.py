"""Staff accounts, API keys and the audit log."""
