# Attack "rebind": the test cells call helpers by the names the set-up cell imported; rebind those names at
# the top level of an answer cell so every check passes, while every answer returns zeros (`_zeros`, added
# by the builder).


def _nothing(*args, **kwargs):
    """Accept any check and report nothing."""
    return None

# The builder appends one line: `check_close = check_function = ... = _nothing`, every helper the locked cells bind.
