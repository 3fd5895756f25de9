"""Redis: the distributed profile's state store."""
