"""Where the course lives: the one place that names the repository."""

REPO_SLUG = "dl-course/deep-learning-course"
REPO_URL = f"https://github.com/{REPO_SLUG}"
BRANCH = "main"
