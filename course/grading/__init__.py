"""Instructor tools: autograde submissions robustly, and check assignments round-trip through nbgrader.

`python -m course.grading grade ASSIGNMENT SUBMISSIONS --out DIR` (see INSTRUCTORS.md).
Kept import-light: the grading kernel starts from `course.grading.kernel`.
"""

__all__ = ["grade"]


def __getattr__(name: str):
    """Load `grade` on first use."""
    if name == "grade":
        from .grade import grade

        return grade
    raise AttributeError(f"module 'course.grading' has no attribute {name!r}")
