"""Sphinx configuration of the course website: `make site` (website/build.py) builds it into build/site.

The pages are the executed notebooks as committed (myst-nb, nothing is re-run), the instructor guide, the
benchmarks and the repository's top-level documents; website/build.py stages them with index.md, the course map.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
from course import __version__  # noqa: E402
from course._meta import REPO_SLUG, REPO_URL, STUDENT_BRANCH  # noqa: E402

project = "Deep Learning, Tested"
author = "The course's authors"
copyright = "the course's authors; code MIT, teaching content CC BY 4.0"
version = release = __version__

extensions = ["myst_nb", "course_site"]
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
suppress_warnings = ["myst.header"]  # notebooks start at "# Unit" and jump levels in "check your understanding"

# The stored outputs are the content: never execute. No widget JavaScript from a CDN (the site works offline;
# the explorers' static figures are stored outputs).
nb_execution_mode = "off"
nb_ipywidgets_js = {}
nb_output_stderr = "show"
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# MathJax 3 served from the site itself, relative to _static/ (website/build.py copies it there from .cache/mathjax,
# installed with npm, or falls back to Debian's MathJax 2): no CDN.
mathjax_path = "mathjax/tex-mml-chtml.js"

html_theme = "sphinx_book_theme"
html_title = "Deep Learning, Tested"
html_favicon = "favicon.svg"
# An explicit colour mode: with none, the theme logs a console error on a reader's first visit.
html_context = {"default_mode": "light"}
html_last_updated_fmt = None
html_theme_options = {
    "repository_url": REPO_URL,
    "repository_branch": STUDENT_BRANCH,  # what students launch: the student edition
    "path_to_docs": "",  # the staged sources keep the repository's layout: lectures/, exercises/<NAME>/
    "use_repository_button": True,
    "launch_buttons": {
        "binderhub_url": "https://mybinder.org",
        "colab_url": "https://colab.research.google.com",
        "notebook_interface": "jupyterlab",
    },
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
}
# Sphinx's own offline search; no analytics, no external fonts.
html_copy_source = True  # the theme's download button (.ipynb, .md) links to _sources/
html_show_sourcelink = False

course_repo_slug = REPO_SLUG
