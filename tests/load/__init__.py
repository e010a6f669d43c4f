"""load suite: lands with its own issue. Until then a full gate run covers it and finds no figure,
so its gates are inconclusive and the verdict is No-Go (never a silent Go)."""
