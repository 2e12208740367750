"""The outbox: notice rows written once, the values they carry, and the links in them."""
