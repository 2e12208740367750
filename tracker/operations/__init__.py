"""What the product's operators watch: heartbeats of the periodic jobs, gateway credit, gauges,
and log lines (JSON, without personal data)."""
