"""Staff accounts and their lifecycle, passwords, the directory (LDAP), TOTP, API keys, audit."""
