"""Build the hostile student notebooks of the cheat battery from an assignment's blank student version.

Each attack's code lives in `attacks/<name>.py` and goes, after a short preamble of constants (the run's
unique marker, the test listener's port, the assignment and its answer ids), at the top of the FIRST answer
cell. The other answer cells stay blank, or are rewritten just enough for the attack to need them: returning
zeros (`rebind`, `patch`), returning what the stack walk finds (`framewalk`), or loading a stolen answer
(`read_solution`).
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

from course_grading.notebook import nbgrader_meta

ATTACK_DIR = Path(__file__).resolve().parent / "attacks"
STUB = "raise NotImplementedError()"
# Always rebound by `rebind`, whether or not this assignment's set-up cell imports them (the one-liner).
CHECK_HELPERS = ("check_close", "check_function", "check_shape", "gradient_check")

ZEROS_HELPER = '''

def _zeros(*args):
    """Zeros shaped like the first array argument, else 0.0: an answer that does no work."""
    for value in args:
        if hasattr(value, "shape"):
            return value * 0
    return 0.0
'''


@dataclass(frozen=True)
class Attack:
    """One attack class: whether it tampers with the kernel (must be flagged) and how its answers look."""

    name: str
    tampers_with_kernel: bool  # True: the scanner must flag it; False: the sandbox must make it score 0
    answers: str  # "blank", "zeros", "framewalk" or "steal"
    what: str

    @property
    def student(self) -> str:
        """The student id its notebook is graded under."""
        return f"attack-{self.name}"


ATTACKS = {a.name: a for a in [
    Attack("transformer", True, "blank", "an IPython input transformer turns every later cell into `pass`"),
    Attack("rebind", True, "zeros", "rebinds the check helpers to no-ops; answers return zeros"),
    Attack("patch", True, "zeros", "overwrites course.checks/course.guard attributes; answers return zeros"),
    Attack("framewalk", True, "framewalk", "answers return `expected` or a reference's result found up the stack"),
    Attack("read_solution", False, "steal", "finds the instructor's (or a classmate's) notebook and runs its answers"),
    Attack("gradebook", False, "blank", "sets every grade in every gradebook it finds to the maximum, and keeps at it"),
    Attack("plant", False, "blank", "writes marked files into the checkout, environment, home and temp folders"),
    Attack("process", False, "blank", "leaves a new-session process and a double-forked one running"),
    Attack("network", False, "blank", "connects to a listener on the host's loopback and sends bytes"),
]}


def attack_source(name: str) -> str:
    """The code of attack `name` (the file `attacks/<name>.py`)."""
    path = ATTACK_DIR / f"{name}.py"
    if not path.is_file():
        raise KeyError(f"no attack {name!r}: known attacks are {sorted(ATTACKS)}")
    return path.read_text()


def preamble(assignment: str, marker: str, port: int, answers: list[str]) -> str:
    """The constants every attack may use."""
    return (f"# --- cheat battery: constants of this run ---\nMARKER = {marker!r}\nPORT = {int(port)}\n"
            f"ASSIGNMENT = {assignment!r}\nANSWER_IDS = {answers!r}\n")


def _python(source: str) -> ast.Module:
    """A cell's source parsed as Python, IPython magics (`%matplotlib inline`) turned into plain calls first."""
    return ast.parse(TransformerManager().transform_cell(source))


def rebind_names(release: nbformat.NotebookNode) -> list[str]:
    """Names the test cells rely on: the check helpers, every name a set-up, locked or test cell imports from
    the course library at the top level (`check_close`, `run_tests`, ...) and the functions locked cells
    define (a test harness such as `check_against_torch`).

    Modules (np, torch, nn) and classes (CheckFailed) are left alone: the answers' own signatures use the
    modules, and rebinding a class that a test catches breaks the test loudly instead of fooling it.
    """
    names = list(CHECK_HELPERS)
    for cell in release.cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type != "code" or meta.get("solution"):
            continue
        for node in _python(cell.source).body:
            found: list[str] = []
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "course":
                found = [alias.asname or alias.name for alias in node.names]
            elif isinstance(node, ast.FunctionDef) and meta.get("locked") and not meta.get("grade"):
                found = [node.name]
            names += [n for n in found if n[:1].islower() and n not in names]
    return names


def _stub_lines(source: str) -> dict[int, list[str]]:
    """{line number of each `raise NotImplementedError()`: the positional arguments of its function}."""
    found: dict[int, list[str]] = {}

    def visit(node: ast.AST, args: list[str]) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = [a.arg for a in node.args.posonlyargs + node.args.args]
        if (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                and getattr(node.exc.func, "id", None) == "NotImplementedError"):
            found[node.lineno] = args
        for child in ast.iter_child_nodes(node):
            visit(child, args)

    visit(ast.parse(source), [])
    return found


def _rewrite_stubs(source: str, answer: str) -> str:
    """`source` with each `raise NotImplementedError()` replaced by the attack's kind of answer."""
    lines = source.splitlines()
    for number, args in _stub_lines(source).items():
        line = lines[number - 1]
        indent = line[: len(line) - len(line.lstrip())]
        call = f"_zeros({', '.join(args)})" if answer == "zeros" else "_cheat_answer()"
        lines[number - 1] = f"{indent}return {call}"
    return "\n".join(lines)


def build_attack(release: nbformat.NotebookNode, name: str, *, assignment: str, marker: str,
                 port: int) -> nbformat.NotebookNode:
    """The blank student notebook `release` carrying attack `name` in its first answer cell."""
    attack = ATTACKS[name]
    nb = copy.deepcopy(release)
    answers = [c for c in nb.cells if nbgrader_meta(c).get("solution") and c.cell_type == "code"]
    if not answers:
        raise ValueError(f"{assignment} has no code answer cell to carry the attack")
    code = preamble(assignment, marker, port, [nbgrader_meta(c)["grade_id"] for c in answers])
    code += "\n" + attack_source(name)
    if name == "rebind":
        code += " = ".join(rebind_names(release)) + " = _nothing\n"
    if attack.answers == "zeros":
        code += ZEROS_HELPER
    for cell in answers:
        if attack.answers in ("zeros", "framewalk"):
            cell.source = _rewrite_stubs(cell.source, attack.answers)
        elif attack.answers == "steal":
            cell.source += f"\n\n_steal({nbgrader_meta(cell)['grade_id']!r})\n"
    answers[0].source = code + "\n\n# --- the student's answer cell ---\n" + answers[0].source
    return nb


def battery(release: nbformat.NotebookNode, solution: nbformat.NotebookNode, *, assignment: str, marker: str,
            port: int, attacks: list[str] | None = None) -> dict[str, nbformat.NotebookNode]:
    """{student id: notebook}: the solution, the blank student version and one notebook per attack (default all)."""
    students = {"solution": solution, "blank": copy.deepcopy(release)}
    for attack in (ATTACKS[name] for name in (list(ATTACKS) if attacks is None else attacks)):
        students[attack.student] = build_attack(release, attack.name, assignment=assignment, marker=marker,
                                                port=port)
    return students


def write_battery(folder: Path, students: dict[str, nbformat.NotebookNode]) -> Path:
    """Write each notebook as `folder/<student>.ipynb` (a layout the grader reads); return `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for student, nb in students.items():
        nbformat.write(nb, folder / f"{student}.ipynb")
    return folder
