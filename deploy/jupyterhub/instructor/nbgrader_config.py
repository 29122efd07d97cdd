"""nbgrader for an instructor: the same course and exchange, and the course folder formgrader works in.

The course folder (COURSE_ROOT, default ~/course) is a clone of this repository: its own nbgrader_config.py
(sources in solutions/, student versions in exercises/) is loaded from there.
"""

import os

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file
c.CourseDirectory.course_id = os.environ.get("COURSE_ID", "dl-course")
c.Exchange.root = os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange")
c.Exchange.path_includes_course = True
c.CourseDirectory.root = os.path.expanduser(os.environ.get("COURSE_ROOT", "~/course"))

# Feedback returned through the exchange never shows the hidden tests (nor tracebacks that would quote them).
try:
    from nbgrader.converters import GenerateFeedback

    from course_grading.preprocessors import HideHiddenTests

    c.GenerateFeedback.preprocessors = [HideHiddenTests] + GenerateFeedback.class_traits()["preprocessors"].default()
except ImportError:  # the grading package is not installed: nbgrader's own feedback would show hidden tests
    raise SystemExit("install the course's grading package (pip install ./grading) before grading") from None
