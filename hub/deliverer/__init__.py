"""The deliverer stage: lanes per channel, pacing, posts, threads, parent edits, digests."""
