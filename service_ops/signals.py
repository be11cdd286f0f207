"""Signal receivers of the shared core (none needed yet: the service layer writes its own logs)."""
