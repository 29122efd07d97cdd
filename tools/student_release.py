"""Build the student edition of the course: what students clone, open on Binder and install on Colab.

    python tools/student_release.py                      # write build/student/ from HEAD
    python tools/student_release.py --branch student     # ... and commit it to the local branch `student`
    python tools/student_release.py --check DIR          # only scan a folder for instructor files and answers

The edition is made from a commit (default HEAD), never from the working tree, so what it holds is exactly
what that commit holds. It keeps what students use (the library, lectures, exercises, Binder and conda
files, a pyproject without the instructor and developer extras) and adds a student README, Makefile and
.gitignore (tools/student_edition/). It then checks itself and refuses (exit 1, nothing committed, the
folder removed) if it holds an instructor file, an nbgrader solution or hidden-test marker, or a line of a
solution or of a hidden test of any solutions/*/*.ipynb, except the few overlaps listed below with reasons.
Publishing is a maintainer's `git push origin student` (see INSTRUCTORS.md).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).resolve().parent / "student_edition"

# What students use, taken from the commit. Everything else stays out.
KEEP = ("course/", "lectures/", "exercises/", "binder/", "environment.yml", "pyproject.toml")
LICENCES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENSE-CONTENT.md", "LICENCE", "LICENCE.md", "COPYING")
# Instructor and developer files: checked absent after the build, whatever KEEP says.
NEVER = ("solutions/", "tests/", "grading/", "benchmarks/", "tools/", ".ci/", "INSTRUCTORS.md",
         "nbgrader_config.py", "gradebook.db", "submitted/", "autograded/", "feedback/", "source/")
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")

# Library code that serves only an assignment's answer and that no lecture uses: cut out of the edition.
# (Library code a lecture uses stays; the assignments' tests forbid calling it.)
LEFT_OUT = {
    "course/viz/hooks.py": ("weight_gradients",),  # assignment 06's layer_grad_norms in one call
}
REEXPORTS = ("course/viz/__init__.py", "course/__init__.py")  # where a left-out name may be re-exported

# Solution lines that may appear in the edition, and why. Any other solution or hidden-test line stops it.
IDIOMS = {  # PyTorch and NumPy boilerplate: seeing it reveals no answer
    "optimizer.zero_grad()", "optimizer.step()", "torch.manual_seed(0)", "order.append(node)",
    "generator = torch.Generator().manual_seed(seed)", "optimizer = torch.optim.Adam(model.parameters(), lr=lr)",
    "loss = loss_fn(model(x), y)", "logits, mu, logvar = model(xb)", "grad = np.zeros_like(x)",
    "x = np.array(x, dtype=np.float64)",
    "mu0, mu1, cov = (np.asarray(a, dtype=np.float64) for a in (mu0, mu1, cov))",
    "loss = F.cross_entropy(model(x[idx]), y[idx])", "x = x.clone().requires_grad_(True)",
}
SEEDED = re.compile(r"\w+ = torch\.Generator\(\)\.manual_seed\(\d+\)")  # a seeded generator reveals nothing
TAUGHT = {  # (edition file, assignment): lecture code that overlaps an answer on purpose
    ("course/experiments/u03.py", "04_autodiff"): "Unit 3 builds and prints this reverse-mode engine (u03.Value)",
    ("lectures/03_backprop_autodiff.ipynb", "04_autodiff"): "the lecture builds its own reverse-mode engine (Value)",
    ("course/checks.py", "03_backprop"): "numerical_gradient: Unit 3 uses it and gradient_check is built on it",
    ("course/data/toy.py", "01_logistic_regression"): "the closed-form Bayes weights Unit 1 shows (truth.w, truth.b)",
    ("course/models/vae.py", "10_autoencoders"): "Unit 10 trains course.VAE with course.vae_loss",
    ("lectures/10_generative_models.ipynb", "10_autoencoders"): "Unit 10 writes out the reparameterisation trick",
    ("course/experiments/u09.py", "10_autoencoders"): "Unit 9's sparse autoencoder uses u09.sparsity_penalty",
}


DROPPED_EXTRAS = ("instructor", "dev", "hub", "site")  # students get only `lab`


class ReleaseError(RuntimeError):
    """The edition cannot be built or failed its own checks."""


@dataclass
class Report:
    """What a build or a check found."""

    source: str = ""  # the commit the edition was built from
    excluded: list[str] = field(default_factory=list)  # top-level entries of that commit left out
    files: int = 0
    size: int = 0
    problems: list[str] = field(default_factory=list)
    allowed: dict[str, int] = field(default_factory=dict)  # reason -> overlapping lines it let through
    left_out: list[str] = field(default_factory=list)
    commit: str | None = None


# ------------------------------------------------------------------------------------------- git access

def git(repo: Path, *args: str, env: dict | None = None, data: bytes | None = None) -> bytes:
    """Output of a git command in `repo`; a ReleaseError with git's message if it fails."""
    done = subprocess.run(["git", "-C", str(repo), *args], input=data, capture_output=True, env=env)
    if done.returncode:
        raise ReleaseError(f"git {' '.join(args)} failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def tree_files(repo: Path, ref: str) -> dict[str, tuple[str, bytes]]:
    """Every file of commit `ref`: path -> (git mode, contents)."""
    entries = []
    for item in git(repo, "ls-tree", "-r", "-z", "--full-tree", ref).split(b"\0"):
        if item:
            meta, path = item.split(b"\t", 1)
            mode, kind, sha = meta.decode().split()
            entries.append((path.decode(), mode, kind, sha))
    blobs = git(repo, "cat-file", "--batch", data="".join(f"{e[3]}\n" for e in entries).encode())
    files, at = {}, 0
    for path, mode, kind, _ in entries:  # --batch answers "<sha> <type> <size>\n<contents>\n" in order
        header_end = blobs.index(b"\n", at)
        size = int(blobs[at:header_end].split()[2])
        if kind == "blob":
            files[path] = (mode, blobs[header_end + 1:header_end + 1 + size])
        at = header_end + 1 + size + 1
    return files


# ------------------------------------------------------------------------------------ building the tree

def student_pyproject(text: str) -> str:
    """pyproject.toml without the DROPPED_EXTRAS (they name the grader, developer and website tools)
    and without the pytest, ruff and mypy settings (the edition has no tests, and ruff's names the grader)."""
    out: list[str] = []
    section, skipping_array, skipping_section = "", False, False
    for line in text.splitlines():
        stripped = line.strip()
        if skipping_array:
            skipping_array = not stripped.startswith("]")
            continue
        if stripped.startswith("["):
            section = stripped.strip("[]")
            skipping_section = section == "tool.pytest.ini_options" or section.startswith(("tool.ruff", "tool.mypy"))
        if skipping_section:
            continue
        key = stripped.split("=", 1)[0].strip()
        if section == "project.optional-dependencies" and key in DROPPED_EXTRAS and "=" in stripped:
            while out and out[-1].lstrip().startswith("#"):  # the comment that introduces the key
                out.pop()
            skipping_array = "[" in stripped and "]" not in stripped
            continue
        out.append(line)
    result = "\n".join(out).rstrip() + "\n"
    # The edit is line-based, so verify it: valid TOML, the student extra intact, no trace of the grader.
    extras = tomllib.loads(result).get("project", {}).get("optional-dependencies", {})
    if set(extras) & set(DROPPED_EXTRAS) or "lab" not in extras or "deep-learning-course-grading" in result:
        raise ReleaseError(f"pyproject.toml: could not drop the instructor/dev extras cleanly (left {sorted(extras)})")
    return result


def student_environment(text: str) -> str:
    """environment.yml installing the package with the student `lab` extra instead of `dev`."""
    result, count = re.subn(r"-e \.\[[\w,]+\]", "-e .[lab]", text)
    if count != 1 or re.search(r"\b(dev|instructor|grading)\b", result):
        raise ReleaseError("environment.yml: expected one `-e .[extras]` line to point at the `lab` extra")
    return result


def _without_span(source: str, start: int, end: int) -> str:
    """`source` minus the item [start, end) of a comma-separated list, and the comma that joins it."""
    line_start = source.rfind("\n", 0, start) + 1
    rest_of_line = re.match(r"[ \t]*,?[ \t]*(\n|$)", source[end:])
    if rest_of_line and not source[line_start:start].strip():  # the item has a line of its own
        return source[:line_start] + source[end + rest_of_line.end():]
    after = re.match(r"\s*,\s*", source[end:])
    if after:
        return source[:start] + source[end + after.end():]
    before = re.search(r",\s*$", source[:start])  # the last item: drop the comma before it
    return source[:before.start()] + source[end:] if before else source[:start] + source[end:]


def _offset(source: str, line: int, col: int) -> int:
    """Character offset in `source` of an ast position (1-based line, UTF-8 byte column)."""
    lines = source.split("\n")
    return sum(len(x) + 1 for x in lines[:line - 1]) + len(lines[line - 1].encode()[:col].decode())


def cut_definition(source: str, name: str) -> str:
    """`source` without its top-level function or class `name` (decorators included)."""
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            lines = source.split("\n")
            head = "\n".join(lines[:first - 1]).rstrip("\n")
            rest = "\n".join(lines[node.end_lineno:]).lstrip("\n")
            return head + ("\n\n\n" + rest if rest.strip() else "\n")
    raise ReleaseError(f"cannot leave out {name!r}: no top-level definition of it")


def cut_reexport(source: str, name: str) -> str:
    """`source` without `name` in its `from ... import` statements and its `__all__` list."""
    while True:
        tree = ast.parse(source)
        spans = []
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                spans += [(node, a) for a in node.names if (a.asname or a.name) == name]
            elif isinstance(node, ast.Assign) and isinstance(node.value, (ast.List, ast.Tuple)):
                if any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
                    spans += [(node, e) for e in node.value.elts if isinstance(e, ast.Constant) and e.value == name]
        if not spans:
            return source
        statement, item = spans[0]
        if isinstance(statement, ast.ImportFrom) and len(statement.names) == 1:  # the whole statement goes
            lines = source.split("\n")
            source = "\n".join(lines[:statement.lineno - 1] + lines[statement.end_lineno:])
            continue
        start = _offset(source, item.lineno, item.col_offset)
        end = _offset(source, item.end_lineno, item.end_col_offset)
        source = _without_span(source, start, end)


def leave_out(files: dict[str, tuple[str, bytes]]) -> list[str]:
    """Cut LEFT_OUT's definitions and their re-exports out of `files` in place; returns 'module.name's."""
    done = []
    for path, names in LEFT_OUT.items():
        if path not in files:
            raise ReleaseError(f"LEFT_OUT names {path}, which this commit does not have")
        mode, data = files[path]
        text = data.decode()
        for name in names:
            text = cut_definition(text, name)
            for init in REEXPORTS:
                init_mode, init_data = files[init]
                files[init] = (init_mode, cut_reexport(init_data.decode(), name).encode())
            done.append(f"{path[:-3].replace('/', '.')}.{name}")
        files[path] = (mode, text.encode())
    for path in {*LEFT_OUT, *REEXPORTS}:  # the cuts must leave valid Python
        try:
            ast.parse(files[path][1], path)
        except SyntaxError as error:
            raise ReleaseError(f"leaving code out broke {path}: {error}") from error
    return done


def repository_names(meta_py: bytes) -> dict[str, str]:
    """The string constants of course/_meta.py, the one place that names the repository and its branches."""
    return {t.id: node.value.value for node in ast.parse(meta_py).body if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name) and isinstance(node.value, ast.Constant)}


def edition_files(repo: Path, ref: str) -> tuple[dict[str, tuple[str, bytes]], Report]:
    """The student edition of commit `ref` as path -> (mode, contents), and a Report of what was left out."""
    source = tree_files(repo, ref)
    files = {p: v for p, v in source.items() if p.startswith(KEEP) or p in LICENCES}
    for path in files:
        if files[path][0] not in ("100644", "100755"):
            raise ReleaseError(f"{path}: git mode {files[path][0]} (a link or submodule) is not supported")
    files["pyproject.toml"] = ("100644", student_pyproject(files["pyproject.toml"][1].decode()).encode())
    files["environment.yml"] = ("100644", student_environment(files["environment.yml"][1].decode()).encode())
    meta = repository_names(files["course/_meta.py"][1])
    readme = (TEMPLATES / "README.md").read_text()
    readme = readme.replace("{{REPO}}", meta["REPO_SLUG"]).replace("{{BRANCH}}", meta["STUDENT_BRANCH"])
    files["README.md"] = ("100644", readme.encode())
    files["Makefile"] = ("100644", (TEMPLATES / "Makefile").read_bytes())
    files[".gitignore"] = ("100644", (TEMPLATES / "gitignore").read_bytes())
    kept = {p.split("/")[0] for p in files}
    report = Report(source=ref, excluded=sorted({p.split("/")[0] for p in source} - kept), left_out=leave_out(files))
    return files, report


def write_tree(files: dict[str, tuple[str, bytes]], out: Path) -> None:
    """Write `files` under `out`, replacing an earlier edition there (and refusing to delete anything else)."""
    if out.exists() and any(out.iterdir()):
        if (out / ".git").exists() or (out / "solutions").exists() or not (out / "course" / "_meta.py").exists():
            raise ReleaseError(f"{out} exists and does not look like a student edition: not deleting it")
        shutil.rmtree(out)
    for path, (mode, data) in sorted(files.items()):
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(0o755 if mode == "100755" else 0o644)


# ----------------------------------------------------------------------------------------- the checks

def secret_map(repo: Path, ref: str) -> dict[str, set[tuple[str, str]]]:
    """Each secret line of `ref`'s solutions/*/*.ipynb -> {(assignment, "solution" or "hidden tests")}.

    The line logic is the grader's own (course_grading.notebook): the same lines its round-trip tests
    require to be absent from exercises/.
    """
    try:
        import nbformat
        from course_grading.notebook import SECRET_BLOCKS, hidden_test_lines, secret_lines
    except ImportError as error:
        raise ReleaseError(f"the leak scan needs the instructor tools ({error}): run `make install`, "
                           "or `pip install -e ./grading`") from error
    secrets: dict[str, set[tuple[str, str]]] = {}
    for path, (_, data) in tree_files(repo, ref).items():
        if re.fullmatch(r"solutions/[^/]+/[^/]+\.ipynb", path):
            nb, name = nbformat.reads(data.decode(), as_version=4), path.split("/")[1]
            for line in secret_lines(nb, SECRET_BLOCKS[:1]):
                secrets.setdefault(line, set()).add((name, "solution"))
            for line in hidden_test_lines(nb):
                secrets.setdefault(line, set()).add((name, "hidden tests"))
    if not secrets:
        raise ReleaseError(f"no solution notebook found in {ref}:solutions/: nothing to check the edition against")
    return secrets


def text_lines(path: Path, data: bytes) -> list[str] | None:
    """The lines a reader sees in a file: cell sources and text outputs of a notebook; None if binary."""
    if b"\0" in data:
        return None
    text = data.decode(errors="replace")
    if path.suffix != ".ipynb":
        return text.splitlines()
    lines = []
    for cell in json.loads(text).get("cells", []):
        chunks = [cell.get("source", "")]
        for output in cell.get("outputs", []):
            chunks.append(output.get("text", ""))
            chunks += [v for k, v in output.get("data", {}).items() if k.startswith("text/")]
        for chunk in chunks:
            lines += ("".join(chunk) if isinstance(chunk, list) else chunk).splitlines()
    return lines


def check(edition: Path, secrets: dict[str, set[tuple[str, str]]], report: Report | None = None) -> Report:
    """Scan a built edition: instructor files, nbgrader markers, solution and hidden-test lines, and library
    code still naming a left-out definition. (Notebooks may name one: assignment 06 forbids it if present.)"""
    report = report or Report()
    left_out = [name for names in LEFT_OUT.values() for name in names]
    for path in sorted(p for p in edition.rglob("*") if p.is_file()):
        rel = path.relative_to(edition).as_posix()
        data = path.read_bytes()
        report.files, report.size = report.files + 1, report.size + len(data)
        if rel.startswith(NEVER) or rel in NEVER:
            report.problems.append(f"{rel}: instructor file")
        text = data.decode(errors="replace")
        report.problems += [f"{rel}: contains the nbgrader marker {m!r}" for m in MARKERS if m in text]
        if rel.startswith("course/") and rel.endswith(".py"):  # library code must not use or re-export a cut
            report.problems += [f"{rel}: still uses {name!r}, which is left out of the edition"
                                for name in left_out if re.search(rf"\b{name}\b", text)]
        for line in sorted(set(line.strip() for line in text_lines(path, data) or ())):
            if line not in secrets or line in IDIOMS or SEEDED.fullmatch(line):
                continue
            for assignment, kind in sorted(secrets[line]):
                reason = TAUGHT.get((rel, assignment))
                if reason:
                    report.allowed[f"{rel} ({assignment}): {reason}"] = report.allowed.get(
                        f"{rel} ({assignment}): {reason}", 0) + 1
                else:
                    report.problems.append(f"{rel}: {line!r} is a line of the {kind} of {assignment}")
    return report


# ------------------------------------------------------------------------------------ the student branch

def commit_edition(repo: Path, edition: Path, branch: str, source: str) -> str | None:
    """Commit the folder `edition` as the next commit of `branch`; None if its tree is already the tip's.

    A temporary index and `git commit-tree` do it: the working tree, the index and HEAD are never touched.
    """
    current = subprocess.run(["git", "-C", str(repo), "symbolic-ref", "-q", "--short", "HEAD"],
                             capture_output=True, text=True).stdout.strip()  # empty on a detached HEAD
    if current == branch:
        raise ReleaseError(f"{branch!r} is the checked-out branch; the edition goes to a branch of its own")
    git_dir = git(repo, "rev-parse", "--absolute-git-dir").decode().strip()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        subprocess.run(["git", f"--git-dir={git_dir}", f"--work-tree={edition}", "add", "--all", "--force", "."],
                       cwd=edition, env=env, check=True, capture_output=True)
        tree = git(repo, "write-tree", env=env).decode().strip()
    tip = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "-q", f"refs/heads/{branch}"],
                         capture_output=True, text=True).stdout.strip()
    if tip and git(repo, "rev-parse", f"{tip}^{{tree}}").decode().strip() == tree:
        return None
    subject = git(repo, "log", "-1", "--format=%s", source).decode().strip()
    message = f"Student edition of {source[:12]}: {subject}\n\nBuilt by tools/student_release.py from {source}.\n"
    commit = git(repo, "commit-tree", tree, *(["-p", tip] if tip else []), data=message.encode()).decode().strip()
    git(repo, "update-ref", "-m", "student edition", f"refs/heads/{branch}", commit, tip)  # fails if moved meanwhile
    return commit


# ----------------------------------------------------------------------------------------------- main

def build(out: Path, repo: Path = ROOT, ref: str = "HEAD", branch: str | None = None) -> Report:
    """Build the edition of `ref` into `out`, check it, and commit it to `branch` if given and clean."""
    sha = git(repo, "rev-parse", "--verify", f"{ref}^{{commit}}").decode().strip()  # fixed for the whole build
    files, report = edition_files(repo, sha)
    write_tree(files, out)
    report = check(out, secret_map(repo, sha), report)
    if report.problems:
        shutil.rmtree(out)  # never leave a leaking edition where someone could publish it
    elif branch:
        report.commit = commit_edition(repo, out, branch, sha) or "unchanged"
    return report


def print_report(report: Report, what: str) -> None:
    """The summary a maintainer reads after `make student-release`."""
    print(f"{what}: {report.files} files, {report.size / 2**20:.1f} MiB")
    if report.source:
        print(f"  from commit {report.source}; left out: {', '.join(report.excluded)}; "
              "README.md, Makefile and .gitignore are the student ones")
    for name in report.left_out:
        print(f"  left out of the library: {name}")
    for reason, count in sorted(report.allowed.items()):
        print(f"  allowed overlap, {count} line(s): {reason}")
    for (path, assignment), reason in sorted(TAUGHT.items()):
        if report.source and not report.problems and f"{path} ({assignment}): {reason}" not in report.allowed:
            print(f"  TAUGHT entry no longer needed (no overlap left): {path} ({assignment})")
    if report.problems:
        removed = "; the edition folder was removed" if report.source else ""
        print(f"REFUSED: {len(report.problems)} problem(s); nothing was committed{removed}", file=sys.stderr)
        for problem in report.problems:
            print(f"  {problem}", file=sys.stderr)
        print("Fix the file (or, for an overlap that reveals no answer, add it to IDIOMS or TAUGHT in "
              "tools/student_release.py with its reason).", file=sys.stderr)
    else:
        print("  leak scan: no instructor file, no nbgrader marker, no solution or hidden-test line")
    if report.commit:
        print(f"  branch: {report.commit}")


def main(argv: list[str] | None = None) -> int:
    """Command line: build (and commit) the student edition, or check a folder; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "student", help="where to write the edition")
    parser.add_argument("--ref", default="HEAD", help="the commit to build from (default HEAD)")
    parser.add_argument("--branch", help="also commit the edition to this local branch (e.g. student)")
    parser.add_argument("--repo", type=Path, default=ROOT, help="the full repository (default: this one)")
    parser.add_argument("--check", type=Path, metavar="DIR", help="only scan DIR, an edition built earlier")
    args = parser.parse_args(argv)
    try:
        if args.check:
            report, what = check(args.check, secret_map(args.repo, args.ref)), f"checked {args.check}"
        else:
            report, what = build(args.out, args.repo, args.ref, args.branch), f"student edition in {args.out}"
    except ReleaseError as error:
        print(f"student edition: {error}", file=sys.stderr)
        return 1
    print_report(report, what)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
