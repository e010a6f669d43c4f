"""After the switch: `gonogo watch` (checkpoints, live rollback triggers, alerts) over the environment's Prometheus."""
