"""Runs inside the student's grading kernel, started there by `autograder.grading.in_nbgrader.guarded_execute`."""
