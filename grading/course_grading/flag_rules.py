"""The rules of the tamper scan (`flags.py`): which names, attributes, magics and strings are flagged, and why.

Each table maps what is matched to the short reason that the instructor reads in the status message. The
rules target what a student has no need for in these assignments (the kernel, frames, the namespace, files,
processes), not what they may legitimately write: `%matplotlib`, `from IPython.display import display`,
`model.eval()`, `re.compile`, `torch.compile`, `np.random.seed`, `obj.__class__.__name__`.
The scan is a review aid; the sandbox is what protects the instructor's files.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from functools import lru_cache

IPYTHON = "IPython internals"
SHELL = "shell command or magic"
FRAMES = "frame or introspection access"
NAMESPACE = "writes to builtins or the namespace"
IMPORTS = "import machinery"
FILES = "file or folder access"
ENVIRON = "environment variables"
STRING_CODE = "runs code from a string"
PROCESSES = "processes, signals or system internals"
NETWORK = "network access"
PATCH = "patches an imported module or function"

# Dotted names after aliases are resolved (`import sys as s; s._getframe` is sys._getframe). A rule also
# covers every name below it (`inspect` covers inspect.currentframe); `*` matches any ending.
MODULES: dict[str, str] = {
    # the kernel and the grader
    "IPython": IPYTHON,
    "ipykernel": IPYTHON,
    "jupyter_client": IPYTHON,
    "nbclient": IPYTHON,
    "nbgrader": IPYTHON,
    "course_grading": IPYTHON,
    "nbformat": FILES,
    # frames, tracing, debuggers and source text
    "inspect": FRAMES,
    "gc": FRAMES,
    "pdb": FRAMES,
    "bdb": FRAMES,
    "linecache": FRAMES,
    "dis": FRAMES,
    "sys._getframe": FRAMES,
    "sys._current_frames": FRAMES,
    "sys.setprofile": FRAMES,
    "sys.settrace": FRAMES,
    "sys.getprofile": FRAMES,
    "sys.gettrace": FRAMES,
    "sys.monitoring": FRAMES,
    "sys.addaudithook": FRAMES,
    "sys.last_*": FRAMES,
    "sys.exc_info": FRAMES,
    "sys.exception": FRAMES,
    "threading.settrace*": FRAMES,
    "threading.setprofile*": FRAMES,
    "threading._*": FRAMES,
    "_thread": FRAMES,
    "traceback.walk_*": FRAMES,
    "traceback.extract_*": FRAMES,
    "traceback.format_stack": FRAMES,
    "traceback.print_stack": FRAMES,
    "traceback.StackSummary": FRAMES,
    "traceback.FrameSummary": FRAMES,
    "traceback.TracebackException": FRAMES,
    "types.FrameType": FRAMES,
    "types.CodeType": FRAMES,
    "types.FunctionType": FRAMES,
    # the namespace and the import system
    "builtins": NAMESPACE,
    "importlib": IMPORTS,
    "imp": IMPORTS,
    "runpy": IMPORTS,
    "pkgutil": IMPORTS,
    "zipimport": IMPORTS,
    "sys.modules": IMPORTS,
    "sys.meta_path": IMPORTS,
    "sys.path": IMPORTS,
    "sys.path_hooks": IMPORTS,
    "sys.path_importer_cache": IMPORTS,
    # files and folders
    "io.open": FILES,
    "io.FileIO": FILES,
    "codecs.open": FILES,
    "fileinput": FILES,
    "glob": FILES,
    "shutil": FILES,
    "pathlib": FILES,
    "tempfile": FILES,
    "sqlite3": FILES,
    "dbm": FILES,
    "shelve": FILES,
    "zipfile": FILES,
    "tarfile": FILES,
    "os.open": FILES,
    "os.fdopen": FILES,
    "os.listdir": FILES,
    "os.scandir": FILES,
    "os.walk": FILES,
    "os.fwalk": FILES,
    "os.remove": FILES,
    "os.unlink": FILES,
    "os.rename*": FILES,
    "os.replace": FILES,
    "os.mkdir": FILES,
    "os.makedirs": FILES,
    "os.rmdir": FILES,
    "os.removedirs": FILES,
    "os.chdir": FILES,
    "os.chmod": FILES,
    "os.chown": FILES,
    "os.link": FILES,
    "os.symlink": FILES,
    "os.truncate": FILES,
    "os.utime": FILES,
    "os.stat": FILES,
    "os.lstat": FILES,
    "os.access": FILES,
    "os.readlink": FILES,
    "os.path.exists": FILES,
    "os.path.lexists": FILES,
    "os.path.is*": FILES,
    "os.path.get*": FILES,
    "os.path.samefile": FILES,
    "os.path.realpath": FILES,
    "numpy.load*": FILES,
    "numpy.genfromtxt": FILES,
    "numpy.fromfile": FILES,
    "numpy.memmap": FILES,
    "numpy.save*": FILES,
    "numpy.lib.npyio": FILES,
    "torch.load": FILES,
    "torch.save": FILES,
    "torch.from_file": FILES,
    "torch.serialization": FILES,
    "pandas.read_*": FILES,
    "pickle": FILES,
    "marshal": FILES,
    "dill": FILES,
    "joblib": FILES,
    "os.environ*": ENVIRON,
    "os.getenv*": ENVIRON,
    "os.putenv": ENVIRON,
    "os.unsetenv": ENVIRON,
    # processes, signals, low-level access
    "subprocess": PROCESSES,
    "multiprocessing": PROCESSES,
    "concurrent.futures.ProcessPoolExecutor": PROCESSES,
    "os.system": PROCESSES,
    "os.popen": PROCESSES,
    "os.exec*": PROCESSES,
    "os.spawn*": PROCESSES,
    "os.posix_spawn*": PROCESSES,
    "os.fork*": PROCESSES,
    "os.kill*": PROCESSES,
    "os.setsid": PROCESSES,
    "os.setpgid": PROCESSES,
    "os.dup*": PROCESSES,
    "pty": PROCESSES,
    "signal": PROCESSES,
    "atexit": PROCESSES,
    "resource": PROCESSES,
    "ctypes": PROCESSES,
    "cffi": PROCESSES,
    "faulthandler": PROCESSES,
    "asyncio.create_subprocess_*": PROCESSES,
    "asyncio.subprocess": PROCESSES,
    # the network
    "socket": NETWORK,
    "socketserver": NETWORK,
    "ssl": NETWORK,
    "http": NETWORK,
    "urllib.request": NETWORK,
    "urllib3": NETWORK,
    "requests": NETWORK,
    "httpx": NETWORK,
    "ftplib": NETWORK,
    "smtplib": NETWORK,
    "telnetlib": NETWORK,
    "xmlrpc": NETWORK,
    "asyncio.open_connection": NETWORK,
    "webbrowser": NETWORK,
}

# Names under a rule above that students use for ordinary display.
ALLOWED_MODULES = ("IPython.display",)

# Free names (not imported or defined by the notebook): builtins and the globals IPython adds.
BARE_NAMES: dict[str, str] = {
    "get_ipython": IPYTHON,
    "exec": STRING_CODE,
    "eval": STRING_CODE,
    "compile": STRING_CODE,
    "__import__": IMPORTS,
    "__builtins__": NAMESPACE,
    "globals": NAMESPACE,
    "breakpoint": FRAMES,
    "open": FILES,
}
# IPython's history of inputs and outputs (the source of every earlier cell, hidden tests included). Unlike the
# names above, a student's own variable of that name (`for _i in range(3)`) hides it.
HISTORY = re.compile(r"^(In|Out|_ih|_oh|_dh|_i|_ii|_iii|_i\d+)$")

# Attribute names flagged whatever object they are read from or written to.
ATTRIBUTES: dict[str, str] = {
    **dict.fromkeys(
        [
            "f_back",
            "f_locals",
            "f_globals",
            "f_builtins",
            "f_code",
            "f_trace",
            "tb_frame",
            "tb_next",
            "gi_frame",
            "cr_frame",
            "ag_frame",
            "gi_code",
            "cr_code",
            "__code__",
            "__globals__",
            "__closure__",
            "__traceback__",
            "__defaults__",
            "__kwdefaults__",
            "__self__",
            "co_consts",
            "co_code",
            "co_names",
            "co_varnames",
            "co_filename",
            "co_freevars",
            "co_cellvars",
            "_getframe",
            "_current_frames",
            "currentframe",
            "getouterframes",
            "getinnerframes",
            "getsource",
            "getsourcelines",
            "getclosurevars",
            "settrace",
            "setprofile",
            "gettrace",
            "getprofile",
        ],
        FRAMES,
    ),
    **dict.fromkeys(["__builtins__", "__subclasses__", "__setattr__", "__delattr__", "__import__"], NAMESPACE),
    **dict.fromkeys(
        [
            "__file__",
            "__path__",
            "__loader__",
            "__spec__",
            "read_text",
            "read_bytes",
            "write_text",
            "write_bytes",
            "iterdir",
            "rglob",
            "symlink_to",
            "hardlink_to",
        ],
        FILES,
    ),  # pathlib's
    **dict.fromkeys(
        [
            "input_transformers_post",
            "input_transformers_cleanup",
            "input_transformer_manager",
            "ast_transformers",
            "set_custom_exc",
            "showtraceback",
            "showsyntaxerror",
            "user_ns",
            "user_global_ns",
            "run_cell",
            "run_line_magic",
            "run_cell_magic",
            "register_magic_function",
            "get_ipython",
        ],
        IPYTHON,
    ),
}

# Magics a student may use. Those in CODE_MAGICS run Python code, which is scanned like the cell itself.
HARMLESS_MAGICS = {"matplotlib", "pinfo", "pinfo2"}
CODE_MAGICS = {"time", "timeit", "capture"}
CONFIG_PREFIX = "InlineBackend."  # %config InlineBackend.figure_format = "retina" only sets figure output

# String constants (docstrings excepted) that name the instructor's files or a parent folder.
PATH_STRINGS = re.compile(r"\.ipynb\b|gradebook|nbgrader|(^|[/\\])\.\.([/\\]|$)|\.(py|db|sqlite)$")


_EXACT = {k: v for k, v in MODULES.items() if "*" not in k}
_PATTERNS = [(k, v) for k, v in MODULES.items() if "*" in k]


@lru_cache(maxsize=4096)
def module_rule(dotted: str) -> str | None:
    """Why using the module or attribute `dotted` is flagged, or None."""
    if any(dotted == a or dotted.startswith(a + ".") for a in ALLOWED_MODULES):
        return None
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):  # the name itself, then the modules above it
        head = ".".join(parts[:k])
        if head in _EXACT:
            return _EXACT[head]
        for pattern, reason in _PATTERNS:
            if fnmatchcase(head, pattern):
                return reason
    return None


def bare_name_rule(name: str, assigned: bool) -> str | None:
    """Why a free name (a builtin or an IPython global) is flagged, or None; `assigned`: the notebook assigns it."""
    return BARE_NAMES.get(name) or (IPYTHON if HISTORY.match(name) and not assigned else None)


def string_rule(text: str) -> str | None:
    """Why a string constant is flagged: it names an instructor file, a parent folder or a flagged attribute."""
    if PATH_STRINGS.search(text):
        return FILES
    return ATTRIBUTES.get(text) or (BARE_NAMES.get(text) if text.startswith("_") or text == "get_ipython" else None)
