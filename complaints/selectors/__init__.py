"""Reads of the complaint app, one module per sub-domain, always scoped by the caller."""
