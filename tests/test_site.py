"""The course website (`make site`), built into a temporary folder and opened in headless Chromium.

One build per module (website/build.py, exactly what `make site` runs), served by a local HTTP server thread.
Checked: the build has no warnings (every figure has alt text in website/alt_text.json, no entry is stale);
the landing page and every lecture render their maths with MathJax and load all their images, each with a real
alt text; no page logs a console error or fails a request; search finds a lecture term and nothing for a
nonsense word; every internal link and #anchor of every built page resolves; the Colab and Binder launch
buttons open the student edition's notebook. Screenshots go to artifacts/site/.
"""

import functools
import importlib.util
import os
import re
import threading
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS

REPO = Path(__file__).resolve().parents[1]
SHOTS = REPO / "artifacts" / "site"
LECTURES = sorted(p.stem for p in (REPO / "lectures").glob("*.ipynb"))
ASSIGNMENTS = sorted(p.name for p in (REPO / "exercises").iterdir() if p.is_dir())
LECTURE = "lectures/01_learning_as_optimisation"
FILE_NAME = re.compile(r"(^|/)[\w.-]+\.(png|jpe?g|svg|gif|webp)$|^[0-9a-f]{16,}", re.I)
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\(frac|mathcal|sigma|nabla|lVert|top)\b")

# The build is ~12 s, the module ~50 s in all on 2 cores: slow, so `make test-quick` leaves it out.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


def _load_build():
    spec = importlib.util.spec_from_file_location("website_build", REPO / "website" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(site folder, build warnings): the site built once for the module, as `make site` builds it."""
    pytest.importorskip("myst_nb", reason="the site extra is not installed (pip install -e '.[site]')")
    pytest.importorskip("sphinx_book_theme", reason="the site extra is not installed (pip install -e '.[site]')")
    out = tmp_path_factory.mktemp("site") / "site"
    warnings = _load_build().build(out)
    return out, warnings


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test reports failed requests itself
        pass


@pytest.fixture(scope="module")
def server(built):
    site, _ = built
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    pytest.importorskip("playwright", reason="playwright is not installed (pip install playwright)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Tab:
    """A headless Chromium tab that records console errors, uncaught errors and failed requests."""

    def __init__(self, browser, base: str):
        self.base = base
        self.page = browser.new_page(viewport={"width": 1300, "height": 900})
        self.page.set_default_timeout(30_000)
        self.problems: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"uncaught: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} ({r.failure})"))
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url}"))

    def open(self, path: str, maths: bool = False) -> None:
        self.problems.clear()
        self.page.goto(self.base + path, wait_until="load")
        if maths:  # MathJax 3 (npm) or 2 (Debian's fallback): wait until it has typeset the page
            self.page.wait_for_function(
                "() => window.MathJax && ((MathJax.startup && MathJax.startup.promise)"
                " || (MathJax.Hub && MathJax.isReady))"
            )
            self.page.evaluate(
                "() => MathJax.startup ? MathJax.startup.promise : new Promise(done => MathJax.Hub.Queue(done))"
            )

    def check(self, path: str) -> list[str]:
        """Problems of the page just opened: raw TeX, MathJax's absence, images that did not load or lack alt."""
        found = [f"{path}: {p}" for p in self.problems]
        if self.page.locator("mjx-container, .MathJax_CHTML, .MathJax_Display, .MathJax").count() == 0:
            found.append(f"{path}: no maths rendered (no mjx-container)")
        text = self.page.evaluate(
            "() => { const b = document.body.cloneNode(true);"
            " b.querySelectorAll('pre, code, script, style, .highlight, mjx-container,"
            " .MathJax_Preview, .MathJax, .MathJax_Display').forEach(e => e.remove());"
            " return b.innerText; }"
        )
        found += [
            f"{path}: raw TeX in the text: ...{text[max(0, m.start() - 40) : m.end() + 40]!r}..."
            for m in RAW_TEX.finditer(text)
        ][:3]
        self.page.evaluate("() => Promise.all([...document.images].map(i => i.decode().catch(() => null)))")
        for image in self.page.evaluate(
            "() => [...document.images].map(i => ({src: i.getAttribute('src'), alt: i.getAttribute('alt'),"
            " width: i.naturalWidth}))"
        ):
            if image["width"] == 0:
                found.append(f"{path}: image {image['src']} did not load")
            alt = (image["alt"] or "").strip()
            if not alt or FILE_NAME.search(alt):
                found.append(f"{path}: image {image['src']} has no real alt text ({alt!r}): see website/alt_text.json")
        return found


@pytest.fixture(scope="module")
def tab(browser, server):
    return Tab(browser, server)


def test_build_has_no_warnings(built):
    """Every figure has alt text, no alt-text entry is stale, no broken cross-reference: the build is clean."""
    _, warnings = built
    assert not warnings, "the site build warned:\n" + "\n".join(warnings)


def test_landing_page_and_lectures_render_maths_and_images(tab):
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    tab.open("index.html", maths=True)
    problems += tab.check("index.html")
    course_map = tab.page.locator("table a[href^='lectures/']")
    assert course_map.count() == len(LECTURES), "the course map does not link every lecture"
    linked = {
        href.split("/")[1]
        for href in tab.page.locator("table a[href^='exercises/']").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
    }
    assert linked == set(ASSIGNMENTS), "the course map does not link every assignment"
    tab.page.screenshot(path=SHOTS / "01_landing.png", full_page=True)
    for lecture in LECTURES:
        tab.open(f"lectures/{lecture}.html", maths=True)
        problems += tab.check(f"lectures/{lecture}.html")
        if lecture == LECTURES[0]:
            tab.page.screenshot(path=SHOTS / "02_lecture.png")
            tab.page.locator("img.course-figure").nth(2).scroll_into_view_if_needed()
            tab.page.screenshot(path=SHOTS / "02_lecture_figure.png")
    assert not problems, "\n".join(problems)


def _site_pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if "_static" not in p.parts)


def test_no_console_errors_or_failed_requests_on_any_page(built, tab):
    site, _ = built
    problems = []
    for path in _site_pages(site):
        tab.open(path)
        tab.page.wait_for_load_state("networkidle")
        problems += [f"{path}: {p}" for p in tab.problems]
    assert not problems, "\n".join(problems)


def _search(tab, word: str) -> list[str]:
    tab.open(f"search.html?q={word}")
    tab.page.wait_for_function(
        "() => { const s = document.querySelector('#search-results .search-summary, #search-results p');"
        " return s && s.textContent.trim().length > 0; }"
    )
    assert not tab.problems, tab.problems
    return tab.page.eval_on_selector_all("#search-results li a", "links => links.map(a => a.getAttribute('href'))")


def test_search_finds_a_lecture_term_and_not_nonsense(tab):
    hits = _search(tab, "dropout")
    tab.page.screenshot(path=SHOTS / "03_search.png")
    assert any(h.startswith("lectures/06_regularisation") for h in hits), f"dropout does not find Unit 6: {hits}"
    assert any(h.startswith("lectures/") for h in _search(tab, "backpropagation")), "backpropagation finds no lecture"
    assert _search(tab, "qzxvwkplmfrb") == [], "a nonsense word found pages"


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(name):
                self.ids.add(attrs[name])
        for name in ("href", "src"):
            if attrs.get(name) and not (tag == "link" and attrs.get("rel") in ("preconnect", "dns-prefetch")):
                self.links.append(attrs[name])


def test_no_broken_internal_links(built):
    site, _ = built
    parsed = {}
    for path in site.rglob("*.html"):
        if "_static" in path.parts:  # the theme's template fragments, not pages
            continue
        parser = _Links()
        parser.feed(path.read_text(encoding="utf-8"))
        parsed[path.relative_to(site).as_posix()] = parser
    broken, checked = [], 0
    for page, parser in parsed.items():
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:", "data:")):
                continue
            target = urlsplit(urljoin(page, unquote(parts.path))).path if parts.path else page
            file = site / target
            if file.is_dir():
                file, target = file / "index.html", f"{target.rstrip('/')}/index.html"
            checked += 1
            if not file.is_file():
                broken.append(f"{page}: {link} (no file {target})")
            elif parts.fragment and target.endswith(".html"):
                if target not in parsed or unquote(parts.fragment) not in parsed[target].ids:
                    broken.append(f"{page}: {link} (no #{parts.fragment} on {target})")
    assert checked > 500, f"only {checked} internal links found: the crawl is not seeing the site"
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(broken[:40])


def test_launch_buttons_open_the_student_edition(tab):
    import sys

    sys.path.insert(0, str(REPO / "tools"))
    from sync_links import badges

    expected = set(re.findall(r"\]\((https://[^)]+)\)", badges(f"{LECTURE}.ipynb")))
    expected = {url for url in expected if "badge" not in url and "assets" not in url}
    tab.open(f"{LECTURE}.html")
    hrefs = set(
        tab.page.eval_on_selector_all(
            "a[href*='mybinder.org/v2'], a[href*='colab.research.google.com/github']",
            "links => links.map(a => a.getAttribute('href'))",
        )
    )
    assert len(expected) == 2 and hrefs == expected, f"launch buttons {hrefs}, the notebook's badges {expected}"
