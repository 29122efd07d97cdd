"""Instructor tools: autograde submissions in a sandbox, robustly, and read assignment notebooks.

`python -m course_grading grade ASSIGNMENT SUBMISSIONS --out DIR` (see INSTRUCTORS.md).
Its own distribution (`grading/`), never imported by `import course`. Kept import-light: the
grading kernel starts from `course_grading/kernel.py` as a script.
"""

__version__ = "0.1.0"
__all__ = ["grade"]


def __getattr__(name: str):
    """Load `grade` on first use."""
    if name == "grade":
        from .grade import grade

        return grade
    raise AttributeError(f"module 'course_grading' has no attribute {name!r}")
