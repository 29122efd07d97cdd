# Attack "process": leave processes running after the notebook ends: one in a session of its own, one
# double-forked (its parent exits, so it is adopted by init). Each sleeps with the battery's marker in its argv.
import os as _os
import subprocess as _subprocess
import sys as _sys

_SLEEP = "import time; time.sleep(300)"
_subprocess.Popen([_sys.executable, "-c", _SLEEP, MARKER + "-popen"], start_new_session=True,  # noqa: F821
                  stdin=_subprocess.DEVNULL, stdout=_subprocess.DEVNULL, stderr=_subprocess.DEVNULL)
_child = _os.fork()
if _child == 0:  # the child: a new session, fork again, and exit at once
    try:
        _os.setsid()
        if _os.fork() == 0:
            _os.execv(_sys.executable, [_sys.executable, "-c", _SLEEP, MARKER + "-double"])  # noqa: F821
    finally:
        _os._exit(0)
_os.waitpid(_child, 0)
print("process: started two")
