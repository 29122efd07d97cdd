# Attack "transformer": an IPython input transformer rewrites every later cell, the tests included, to `pass`.
# Nothing in nbgrader stops this; only a scanner that flags IPython internals in answer cells can.
get_ipython().input_transformers_post.append(lambda lines: ["pass\n"])  # noqa: F821 - IPython's global
