"""The embedded profile's engine: one SQLite file each for the queue, the state and the history."""
