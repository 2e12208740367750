"""The public pages: home, citizen status, SOPs, the board, surveys, open data, the demo outbox."""
