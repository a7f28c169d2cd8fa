"""Runs in nbgrader's process: the course's nbgrader plug-ins, one per module. `course/nbgrader_config.py` puts each
into nbgrader's pipelines:

- `guarded_execute.GuardedExecute`: nbgrader's Execute with every kernel guarded (`autograder.grading.in_kernel`);
- `limit_output_size.LimitOutputSize`: printed output capped in characters, not only in lines;
- `hide_hidden_tests.HideHiddenTests`: feedback without the hidden tests' code;
- `safe_csv_export.SafeCsvExportPlugin`: `nbgrader export` with every field quoted and neutralized.
"""
