"""The configuration read and checked: environments.yaml (assembled from each suite's settings), gates.yaml,
waivers.yaml; every error names the file, the line, the bad value and the fix."""
