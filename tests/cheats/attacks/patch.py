# Attack "patch": test cells that import their helpers inside the cell still get them from course.checks and
# course.guard; overwrite those module attributes so the helpers check nothing and `@run_tests` skips the body.
import course.checks
import course.guard


def _nothing(*args, **kwargs):
    """Accept any check and report nothing."""
    return None


def _skip(test_body):
    """Stand-in for `@run_tests`: never run the test cell's body."""
    return None


def _call_directly(fn, *args, forbid=None, name=None, convert=True, label="", **kwargs):
    """Stand-in for run_student/call_student: no thread, no tracer of forbidden calls."""
    return fn(*args, **kwargs)


for _module in (course.checks, course.guard):
    _module.run_tests = _skip
    _module.run_student = _call_directly
course.checks.call_student = _call_directly
course.checks.check_close = course.checks.check_function = course.checks.check_shape = _nothing
course.checks.check_dtype = course.checks.gradient_check = _nothing
