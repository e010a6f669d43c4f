"""The exit codes of every gonogo command: what CI reads. 0 and 1 mean only a decided Go or No-Go."""

EXIT_GO = 0
EXIT_NO_GO = 1
EXIT_INTERRUPTED = 2  # Ctrl-C or SIGTERM: stopped, cleaned up, nothing decided (pytest's own code)
EXIT_NOT_RUNNING = 3  # gonogo stack status/serving: no box, a box not whole, a colour not serving
EXIT_USAGE = 4  # configuration or usage error: nothing was sent to the target
EXIT_UNDECIDED = 5  # nothing ran (pytest's "no tests collected"), or a command hit a bug: nothing decided
