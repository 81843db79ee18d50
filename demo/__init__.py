"""Synthetic demo data for Brobygger: employers, openings, citizens and placement history as import JSONL."""
