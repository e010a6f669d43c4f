"""What every layer reads and none of them owns: the metrics store and its series, the catalog of metrics each suite
declares, units, confidence bounds, redaction and exit codes. No pytest, no HTTP."""
