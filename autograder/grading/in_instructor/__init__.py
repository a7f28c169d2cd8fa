"""Runs in the instructor's process, before and around nbgrader: a submission is repaired (`notebook_repair`) and
scanned (`tamper_scan`) before nbgrader reads it, and its kernel's sandbox is set up (`sandbox`)."""
