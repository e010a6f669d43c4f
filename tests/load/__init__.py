"""Load suite: Locust scenarios (locustfile.py) driven with the environment profile (K1-K3, K5-K11, K14)."""
