"""Everything that defends grading against a submission, one module per defence:

- `reference_lock`: handing in (or wrapping) the course's reference implementation fails the check;
- `notebook_repair`: a damaged or tampered notebook is repaired before nbgrader reads it, or reported;
- `tamper_scan`: code that reaches for the machinery of grading is flagged for review;
- `kernel_guard`: inside the grading kernel, the modules the tests use are read-only and writes
  outside the notebook's folder are refused.

The nbgrader plug-ins that put them to work live in `autograder.preprocessors`.
"""
