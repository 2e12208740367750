"""Security probes (issue 6): what an attacker would try, against the real app and database."""
