"""The `hub` command line."""
