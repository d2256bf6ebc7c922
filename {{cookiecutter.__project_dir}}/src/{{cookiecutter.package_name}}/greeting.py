"""The package's first feature: replace it with your own."""


def greet(name: str = "world") -> str:
    """Return a greeting for ``name``.

    Blank names are refused: callers find their bug early instead of "Hello, !".

    Args:
        name: Who to greet; spaces at either end are dropped.

    Returns:
        The greeting, such as ``"Hello, Ada!"``.

    Raises:
        ValueError: If ``name`` is blank.
    """
    cleaned = name.strip()
    if not cleaned:
        msg = "name must not be blank"
        raise ValueError(msg)
    return f"Hello, {cleaned}!"
