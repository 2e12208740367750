"""The office calendar in the database: DGPA imports, closures, and re-timing open cases."""
