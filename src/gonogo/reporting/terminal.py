"""The console of the command-line front-ends (``evaluate``, ``watch``, ``trend``, alerts): every line redacted and
its control characters written out (text a report or a server supplied is never acted on by the terminal).

A reader that leaves early (``gonogo evaluate ... | head -1``) closes the pipe: the rest of the output goes nowhere,
and the run goes on to write its reports and exit with its verdict. A closed pipe never changes the exit code.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TextIO

from gonogo.core.redaction import for_terminal


def say(text: str = "", *, file: TextIO | None = None, end: str = "\n", clean: bool = True) -> None:
    """``clean`` False: text gonogo rendered itself from cleaned parts (the colour of a verdict table)."""
    stream = PipeSafe(sys.stdout if file is None else file)
    with contextlib.suppress(ValueError):  # written to a stream already closed: the same reader that left
        stream.write((for_terminal(text) if clean else text) + end)
        stream.flush()


def _discard(stream: TextIO) -> None:
    """The reader left: what is still buffered and everything later goes to /dev/null."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


class PipeSafe:
    """A console stream (pytest's terminal reporter writes to it) that a reader leaving early cannot break: the rest
    goes to /dev/null and the run goes on to its verdict. pytest itself ends with exit 1 at the first closed-pipe
    write (its console_main), which would turn a Go into a No-Go and leave the reports undecided."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            _discard(self._stream)
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            _discard(self._stream)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)
