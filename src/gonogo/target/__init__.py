"""The target as the suites see it: an HTTP client that logs accounts in and records every request, and the
reachability probe."""
