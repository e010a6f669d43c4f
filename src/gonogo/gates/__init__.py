"""The gates decided from the metrics store: the frame every gate kind shares (not run, not measured, untrusted,
min_samples, severity), the kinds themselves, a gate's result and the verdict."""
