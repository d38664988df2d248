"""Extraction of statistics and claims from clean documents."""
