"""One package per engine: SQLite (embedded), RabbitMQ and Redis (distributed)."""
