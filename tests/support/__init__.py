"""Real stand-ins for the outside services tests talk to: a Twilio API server, an SMTP sink."""
