"""Deadline arithmetic (pure): time limits, the work calendar, time zones, Art. 48/51."""
