"""The one exception the edges turn into an `Error: …` line and exit code 2."""


class InputError(ValueError):
    """Bad input, with a one-line message meant for the user."""
