"""Errors that `gpt-course` reports as one line, without a traceback."""


class CourseError(Exception):
    """Something went wrong that the instructor can fix; the message says what (exit status 1)."""


class BadArgument(CourseError):
    """The command line names something that is not there or cannot be used (exit status 2)."""
