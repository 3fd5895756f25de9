"""`python -m hub`: the same as the `hub` command (ingest workers are started this way)."""

from hub.cli.main import main

main()
