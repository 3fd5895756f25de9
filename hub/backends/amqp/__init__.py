"""RabbitMQ: the topology, confirmed publishes, dead letters and the history stream."""
