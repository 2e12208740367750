"""Notices: templates and rendering (``render``), delivery channels (``channels``), dispatch."""
