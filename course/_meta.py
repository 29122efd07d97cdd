"""Where the course lives: the one place that names the repository."""

REPO_SLUG = "dl-course/deep-learning-course"
REPO_URL = f"https://github.com/{REPO_SLUG}"
BRANCH = "main"  # development: the full repository, solutions included
# What students open and install: the student edition (make student-release), without answers or grader.
STUDENT_BRANCH = "student"
