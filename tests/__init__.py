"""gonogo's product suites: smoke, load, db, security."""
