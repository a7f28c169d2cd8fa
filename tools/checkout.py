"""The checkout that the tests, the benchmarks and the tools run in, as the instructor tools see it."""

from pathlib import Path

from autograder.instructor.build import CourseTree

TREE = CourseTree(Path(__file__).resolve().parents[1])
