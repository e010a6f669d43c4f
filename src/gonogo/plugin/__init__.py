"""The pytest plugin (entry point ``gonogo = gonogo.plugin.entry``: signals held, then the hooks): options, hooks,
fixtures and one item per gate. The only part of gonogo that imports pytest."""
