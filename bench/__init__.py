"""Benchmarks of the follow-up engine on the real Temporal dev server: `make bench` (not part of `make test`)."""
