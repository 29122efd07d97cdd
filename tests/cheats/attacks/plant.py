# Attack "plant": write files named with the battery's marker where they would outlive this notebook or change
# grading for everybody: the course checkout (the library, solutions/, beside the installed package), the Python
# environment, IPython's start-up folder, home, the temporary folders and the folder above the working folder;
# and append a line to two instructor files. Every file is inert (a comment), so a leak harms nothing.
import sysconfig as _sysconfig
import tempfile as _tempfile
from pathlib import Path as _Path

_LINE = f"# planted by the cheat battery: {MARKER}\n"  # noqa: F821 - MARKER comes from the battery's preamble
PLANTED, REFUSED = [], []


def _plant(folder, suffix=".py"):
    path = _Path(folder) / f"{MARKER}{suffix}"  # noqa: F821
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_LINE)
        PLANTED.append(str(path))
    except OSError as err:
        REFUSED.append(f"{path}: {type(err).__name__}")


def _append(path):
    try:
        with open(path, "a") as handle:
            handle.write("\n" + _LINE)
        PLANTED.append(f"{path} (appended)")
    except OSError as err:
        REFUSED.append(f"{path}: {type(err).__name__}")


_targets = [_Path.home(), _Path.home() / ".ipython" / "profile_default" / "startup", _Path(_tempfile.gettempdir()),
            _Path("/tmp"), _Path.cwd().resolve().parent]
try:
    import course

    _package = _Path(course.__file__).resolve().parent
    _checkout = _package.parent
    _targets += [_package, _checkout, _checkout / "solutions", _checkout / "solutions" / ASSIGNMENT]  # noqa: F821
    _append(_package / "checks.py")
    _append(_checkout / "nbgrader_config.py")
except ImportError:
    pass
for _folder in _targets:
    _plant(_folder)
_plant(_sysconfig.get_paths()["purelib"], ".pth")  # a .pth file would run at every start of this Python
print(f"plant: {len(PLANTED)} written, {len(REFUSED)} refused")
