"""Plausible mistakes in the toy assignment, each caught by exactly the listed test cells."""

WRONG_ANSWERS = [
    dict(cell="square_answer", fails=["square_tests"], why="doubles instead of squaring",
         source='def square(x):\n    """Return x squared."""\n    return 2 * x'),
    dict(cell="square_answer", fails=["square_tests"], why="loses the sign rule: passes the visible test only",
         source='def square(x):\n    """Return x squared."""\n    return abs(x) * x'),
    dict(cell="mean_answer", fails=["mean_tests"], why="divides by n - 1, the sample-variance habit",
         source='def mean(xs):\n    """Return the arithmetic mean of a non-empty list."""\n    return sum(xs) / (len(xs) - 1)'),
]
