"""The course's gradebook: where it lives, and every read and write of it by the course's commands.

It lives where nbgrader's ``c.CourseDirectory.db_url`` in the course's config says (`course_layout`).

nbgrader's default is SQLite, ``sqlite:///<course>/gradebook.db``, which takes one writer at a time. A course
that several instructors or machines grade into sets a PostgreSQL URL instead, e.g.
``c.CourseDirectory.db_url = "postgresql+psycopg://grader@db.example.edu/gpt_course"``; keep its password out of
the config (libpq reads ``~/.pgpass`` and ``PGPASSWORD``): the config travels to every grading worker.
"""

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy
from nbgrader.api import Base, Gradebook, MissingEntry
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SAWarning

from autograder.instructor.course_layout import CourseLayout
from autograder.instructor.errors import CourseError


def gradebook_url(course: Path) -> str:
    """The course's gradebook URL, as nbgrader run in ``course`` would use it."""
    return CourseLayout(course).gradebook_url


@contextlib.contextmanager
def open_gradebook(course: Path) -> Iterator[Gradebook]:
    """nbgrader's Gradebook of the course in ``course``, closed afterwards."""
    with Gradebook(gradebook_url(course)) as gradebook:
        yield gradebook


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


def assignment_gradebook(url: str, assignment: str, path: Path) -> bytes:
    """A SQLite gradebook, at ``path``, holding the assignment of the course's gradebook at ``url`` with its
    course, notebooks and cells (their hidden tests included, which autograde restores), and no student."""
    tables = Base.metadata.tables
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as db:
            assignments = tables["assignment"]
            chosen = sqlalchemy.select(assignments).where(assignments.c.name == assignment)
            rows = {"assignment": db.execute(chosen).mappings().all()}
            if not rows["assignment"]:
                raise CourseError(f"{assignment} is not in the gradebook {shown(url)}: generate it first")
            for name, key, parents, parent_key in (
                ("course", "id", "assignment", "course_id"),
                ("notebook", "assignment_id", "assignment", "id"),
                ("base_cell", "notebook_id", "notebook", "id"),
                ("source_cell", "notebook_id", "notebook", "id"),
                ("grade_cells", "id", "base_cell", "id"),
                ("solution_cells", "id", "base_cell", "id"),
                ("task_cells", "id", "base_cell", "id"),
            ):
                parent_ids = [row[parent_key] for row in rows[parents]]
                table = tables[name]
                rows[name] = db.execute(sqlalchemy.select(table).where(table.c[key].in_(parent_ids))).mappings().all()
            # nbgrader's schema version: a gradebook without it would be stamped by running alembic
            schema_version = db.execute(sqlalchemy.text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    engine = sqlalchemy.create_engine(f"sqlite:///{path}")
    try:
        Base.metadata.create_all(engine)
        with engine.begin() as db:
            db.execute(sqlalchemy.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            db.execute(sqlalchemy.text("INSERT INTO alembic_version VALUES (:version)"), {"version": schema_version})
            for table in Base.metadata.sorted_tables:  # a row's foreign keys before it
                if rows.get(table.name):
                    db.execute(table.insert(), [dict(row) for row in rows[table.name]])
    finally:
        engine.dispose()
    return path.read_bytes()


def read_record(url: str, assignment: str, student: str) -> dict | None:
    """The student's submission as nbgrader recorded it: timestamp, late penalties, grades and comments."""
    with Gradebook(url) as gradebook:
        try:
            submission = gradebook.find_submission(assignment, student)
        except MissingEntry:
            return None
        return {
            "timestamp": submission.timestamp,
            "penalties": {notebook.name: notebook.late_submission_penalty for notebook in submission.notebooks},
            "grades": [
                (grade.name, notebook.name, grade.auto_score, grade.needs_manual_grade)
                for notebook in submission.notebooks
                for grade in notebook.grades
            ],
            "comments": [
                (comment.name, notebook.name, comment.auto_comment)
                for notebook in submission.notebooks
                for comment in notebook.comments
            ],
        }


def write_record(url: str, assignment: str, student: str, record: dict) -> None:
    """Give the student's submission in the course's gradebook what nbgrader recorded on the worker."""
    with Gradebook(url) as gradebook, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission trips SQLAlchemy's autoflush warnings
        gradebook.update_or_create_student(student)
        gradebook.update_or_create_submission(assignment, student, timestamp=record["timestamp"])
        for notebook, penalty in record["penalties"].items():
            gradebook.find_submission_notebook(notebook, assignment, student).late_submission_penalty = penalty
        for name, notebook, auto_score, needs_manual_grade in record["grades"]:
            grade = gradebook.find_grade(name, notebook, assignment, student)
            grade.auto_score, grade.needs_manual_grade = auto_score, needs_manual_grade
        for name, notebook, auto_comment in record["comments"]:
            gradebook.find_comment(name, notebook, assignment, student).auto_comment = auto_comment
        gradebook.db.commit()
