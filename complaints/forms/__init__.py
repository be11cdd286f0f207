"""Forms of the complaint pages, one module per sub-domain."""
