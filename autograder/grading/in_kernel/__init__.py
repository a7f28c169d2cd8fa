"""Runs inside the student's grading kernel: the guard, started there by
`autograder.grading.in_nbgrader.guarded_execute`, and the hidden checks' seeds it hands the checks."""
