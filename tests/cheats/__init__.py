"""The cheat battery: hostile student notebooks graded by the real instructor command (issue 10, part 6).

`build` writes the notebooks from an assignment's blank student version and the attack sources in
`attacks/`; `outside` checks from outside the grader what they left behind; `run` does one assignment.
"""
