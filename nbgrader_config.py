"""nbgrader configuration: instructor sources in solutions/, student versions in exercises/."""

import os

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.py", "feedback", ".*"]
c.Execute.kernel_name = "python3"
c.Execute.timeout = 300  # seconds per cell
c.Execute.allow_errors = True
c.Exchange.assignment_dir = os.path.dirname(os.path.abspath(__file__))
