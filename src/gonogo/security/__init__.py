"""What the security suite drives: the checks protocol (findings, waivers, redaction), the TLS scan, network probes,
ZAP, dependency and image scans."""
