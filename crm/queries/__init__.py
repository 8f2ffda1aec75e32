"""Reads over many contacts, one module per topic."""
