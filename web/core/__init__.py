"""What every part of the web app shares: extensions, security, errors, languages, formatting."""
