"""The Django app of the peer benchmark: one model equivalent to ``benchmarks.schema.Item``."""
