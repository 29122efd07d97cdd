"""Small experiments behind the lectures' claims, one module per unit (import as ``from course.experiments import u01``)."""
