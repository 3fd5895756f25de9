"""Test support shipped with hub: a fake Slack Web API server and senders' signatures."""
