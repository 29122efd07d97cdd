"""`python -m course_grading ...`"""

from .cli import main

raise SystemExit(main())
