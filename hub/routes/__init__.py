"""routes.yaml: loading, the compiled table, matchers, quiet hours and hot reload."""
