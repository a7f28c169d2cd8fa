"""Where a course's gradebook lives: nbgrader's ``c.CourseDirectory.db_url`` from the course's config.

nbgrader's default is SQLite, ``sqlite:///<course>/gradebook.db``, which takes one writer at a time. A course
that several instructors or machines grade into sets a PostgreSQL URL instead, e.g.
``c.CourseDirectory.db_url = "postgresql+psycopg://grader@db.example.edu/gpt_course"``; keep its password out of
the config (libpq reads ``~/.pgpass`` and ``PGPASSWORD``): the config travels to every grading worker.
"""

from pathlib import Path

import sqlalchemy
from sqlalchemy.engine import make_url
from traitlets.config.loader import PyFileConfigLoader

from autograder.instructor.errors import CourseError


def gradebook_url(course: Path) -> str:
    """The course's gradebook URL, as nbgrader run in ``course`` would use it."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    url = make_url(config.get("CourseDirectory", {}).get("db_url") or "sqlite:///gradebook.db")
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).is_absolute():
        url = url.set(database=str((course / url.database).resolve()))  # nbgrader runs in the course directory
    return url.render_as_string(hide_password=False)


def shown(url: str | sqlalchemy.URL) -> str:
    """The URL as messages may show it: without its password."""
    return make_url(url).render_as_string(hide_password=True)


def gradebook_exists(course: Path) -> bool:
    """Whether the gradebook has been created (by nbgrader generate_assignment); CourseError if it cannot be
    reached. Asking must not create it: nbgrader's Gradebook creates a missing SQLite file and every table."""
    url = make_url(gradebook_url(course))
    if url.get_backend_name() == "sqlite":
        return url.database is not None and Path(url.database).is_file()
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            return sqlalchemy.inspect(connection).has_table("assignment")
    except sqlalchemy.exc.SQLAlchemyError as error:
        reason = " ".join(str(error.orig or error).split())
        raise CourseError(f"cannot reach the gradebook {shown(url)}: {reason}") from None
    finally:
        engine.dispose()
