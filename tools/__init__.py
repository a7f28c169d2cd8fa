"""The checkout's own tools, for contributors and CI: never shipped in the wheel (pyproject.toml's package discovery
takes ``autograder*`` only), importable from the repository root.

- `checkout`: the checkout as the instructor tools see it (``TREE``).
- `exercise_runner`: run a variant of an exercise as a notebook would and collect its checks' failures.
- `catalogue`: valid alternatives and classic bugs of every exercise, and one classic bug per assignment.
- `mutation` (with its allow-list ``mutation_equivalents.toml``): mutation testing of the checks.
- `nbgrader_course`: real nbgrader on a scratch copy of the course.
- `constraints`: constraints.txt from the running environment (``python -m tools.constraints``).

The test suite (tests/) and the benchmarks (benchmarks/) import from here; nothing here imports either.
"""
