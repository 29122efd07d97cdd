"""Build the course website into build/site (or OUT): `python website/build.py [OUT]`, what `make site` runs.

The sources are staged in OUT/../site-src with the repository's layout (so launch buttons and links keep the
repository's paths): the executed lectures and the student versions of the exercises, as committed (nothing is
executed), the instructor guide, the benchmarks and the top-level documents, with website/index.md as the
landing page. MathJax is copied into the site from .cache/mathjax (npm) or Debian's libjs-mathjax.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PAGES = [
    "lectures/*.ipynb",
    "lectures/README.md",
    "exercises/*/*.ipynb",
    "INSTRUCTORS.md",
    "benchmarks/README.md",
    "README.md",
    "CONTRIBUTING.md",
    "CHANGELOG.md",
]
MATHJAX3 = ROOT / ".cache" / "mathjax" / "node_modules" / "mathjax" / "es5"
MATHJAX2 = Path("/usr/share/javascript/mathjax")


def stage(src: Path) -> None:
    """Copy the pages into src, keeping their paths; files already there and unchanged are left alone."""
    wanted = {HERE / "index.md": src / "index.md"}
    for pattern in PAGES:
        for path in sorted(ROOT.glob(pattern)):
            wanted[path] = src / path.relative_to(ROOT)
    for path in src.rglob("*"):
        if path.is_file() and path not in wanted.values():
            path.unlink()
    for origin, copy in wanted.items():
        if not copy.exists() or copy.read_bytes() != origin.read_bytes():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, copy)


MATHJAX3_PARTS = [
    "tex-mml-chtml.js",
    "output/chtml/fonts/woff-v2",
    "input/tex/extensions",
    "input/mml",
    "a11y",
    "ui",
    "sre",
    "adaptors",
]  # the combined script and what it loads on demand: 7 MB of 24


MATHJAX2_PARTS = [
    "MathJax.js",
    "config/TeX-AMS_CHTML.js",
    "extensions",
    "jax/input/TeX",
    "jax/element",
    "jax/output/CommonHTML",
    "localization/en",
    "fonts/HTML-CSS/TeX/woff",
]


def mathjax_settings() -> dict:
    """Sphinx settings for the MathJax there is, its path relative to _static: MathJax 3 (npm), else Debian's 2."""
    if MATHJAX3.is_dir():
        return {"mathjax_path": "mathjax/tex-mml-chtml.js"}
    if MATHJAX2.is_dir():  # a MathJax 2 configuration instead of the 3 one (which would stop it typesetting)
        return {
            "mathjax_path": "mathjax/MathJax.js?config=TeX-AMS_CHTML",
            "mathjax3_config": None,
            "myst_update_mathjax": False,
            "mathjax2_config": {"messageStyle": "none"},
        }
    raise SystemExit("no MathJax: npm install --prefix .cache/mathjax mathjax@3 (or apt-get install libjs-mathjax)")


def copy_mathjax(out: Path) -> None:
    """MathJax into out/_static/mathjax (after the build: Sphinx rewrites _static)."""
    target = out / "_static" / "mathjax"
    origins, parts = (MATHJAX3, MATHJAX3_PARTS) if MATHJAX3.is_dir() else (MATHJAX2, MATHJAX2_PARTS)
    for part in parts:
        origin = origins / part
        if origin.is_dir():
            shutil.copytree(origin, target / part, dirs_exist_ok=True)
        else:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target / part)


def build(out: Path, quiet: bool = True) -> list[str]:
    """Build the site into out; returns Sphinx's warnings (also printed)."""
    from io import StringIO

    import sphinx.util.console
    from sphinx.application import Sphinx

    out = out.resolve()
    src, doctrees = out.parent / f"{out.name}-src", out.parent / f"{out.name}-doctrees"
    stage(src)
    sphinx.util.console.nocolor()
    warnings = StringIO()
    app = Sphinx(
        str(src),
        str(HERE),
        str(out),
        str(doctrees),
        "html",
        status=None if quiet else sys.stdout,
        warning=warnings,
        parallel=2,
        confoverrides=mathjax_settings(),
    )
    app.build()
    copy_mathjax(out)
    text = warnings.getvalue()
    sys.stderr.write(text)
    if app.statuscode:
        raise SystemExit(app.statuscode)
    return [line for line in text.splitlines() if "WARNING" in line or "ERROR" in line]


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "site"
    started = time.monotonic()
    warnings = build(out, quiet="-v" not in sys.argv)
    print(f"site built in {time.monotonic() - started:.1f} s: {out / 'index.html'}, {len(warnings)} warnings")


if __name__ == "__main__":
    main()
