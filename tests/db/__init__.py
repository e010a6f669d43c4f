"""Database suite: indexes, query plans and round-trip times of the canonical queries, server counters (K12-K14,
IDX)."""
