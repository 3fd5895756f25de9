"""Where every event went: entries folded from records, and the record log they are read from."""
