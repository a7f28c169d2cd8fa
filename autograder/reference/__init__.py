"""The course's reference implementations: what every student implementation is graded against."""
