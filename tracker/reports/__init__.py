"""Figures: statistics for reports and open data, and satisfaction surveys."""
