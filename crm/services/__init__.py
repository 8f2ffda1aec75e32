"""Workflows that touch several models or need a lock, one module per topic."""
