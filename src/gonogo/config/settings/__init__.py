"""environments.yaml's settings, one module per suite or concern; gonogo.config.environments assembles them into an
environment."""
