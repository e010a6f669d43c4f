"""Deployment safety suite (D1, D2): the environment's blue-green switch and rollback, watched by a prober."""
