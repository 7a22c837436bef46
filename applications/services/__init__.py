"""Writes to applications go through these services: filing (filing.py), review (review.py)."""
