"""The two colours of a blue-green deployment (D1, D2)."""

COLOURS = ("blue", "green")


def other_colour(colour: str) -> str:
    """The colour that is not ``colour``; "" for a colour that is neither (a target that does not say)."""
    return {"blue": "green", "green": "blue"}.get(colour, "")
