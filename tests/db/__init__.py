"""db suite: lands with its own issue. Until then it collects no test, so its gates are not_run."""
