"""`python -m course.grading ...`"""

from .cli import main

raise SystemExit(main())
