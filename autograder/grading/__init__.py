"""Grading a submission, filed by the process each line runs in.

- `in_kernel/`: inside the student's grading kernel (`guard`: the modules the tests use are read-only, writes
  outside the notebook's folder are refused, the grading state is put back before each test cell);
- `launcher/`: the sandbox's launcher, the kernel's first process on the host, run by file path with the
  standard library only (`sandbox_launch`: cgroups, limits, wall time);
- `in_nbgrader/`: nbgrader's process, as the course's plug-ins (`GuardedExecute`, `LimitOutputSize`,
  `HideHiddenTests`), one per module as nbgrader lays out its own preprocessors;
- `in_instructor/`: the instructor's process, before and around nbgrader (`notebook_repair`, `tamper_scan`, and
  `sandbox`, which writes the sandboxed kernel's kernelspec);
- `protocol`: the strings these processes exchange, named once.

The reference's lock (handing in the reference fails the check) lives with the answers, in
`autograder.reference.lock`.
"""
