"""Tools for curators and maintainers: evaluation, knowledge-base checks, the misses log."""
