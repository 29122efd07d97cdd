"""Small experiments behind the lectures' claims, one module per unit.

Import them as ``from course.experiments import u01``.
"""
