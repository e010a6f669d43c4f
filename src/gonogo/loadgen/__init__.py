"""What the load suite's Locust processes run besides the scenarios: exact recording and the open model."""
