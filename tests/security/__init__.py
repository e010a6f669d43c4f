"""Security suite: headers, TLS, auth, CORS, rate limits, network, dependency and image scans, ZAP (K4, S1-S7)."""
