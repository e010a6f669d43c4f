"""The comparison operators a threshold may use, and what each means."""

import operator
from collections.abc import Callable

COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
OPERATORS = tuple(COMPARE)
#: For a regular expression: the longer operators first, so that "<=" is not read as "<" and "=".
OPERATOR_PATTERN = "|".join(sorted(OPERATORS, key=len, reverse=True))
