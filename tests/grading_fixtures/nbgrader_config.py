"""nbgrader configuration of the toy course used by the grading tests (same layout as the real course)."""

import os

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.py", "feedback", ".*"]
c.Execute.kernel_name = "python3"
c.Execute.timeout = 30
c.Execute.allow_errors = True
