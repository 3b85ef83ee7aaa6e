"""Rows in, output out: terminal tables, JSON and CSV. No queries, no network."""
