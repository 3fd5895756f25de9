"""The receiver stage: verify, normalize, dedup, store (or spool), answer 202."""
