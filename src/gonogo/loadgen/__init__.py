"""What the load suite's Locust processes run besides the scenarios: exact recording, the open model and the users'
HTTP client."""
