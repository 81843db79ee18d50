"""Placements: a citizen placed with an employer, and how it ended."""
