"""nbgrader's formgrader with its pages escaped: the Jupyter server extension that the instructor's JupyterLab
(``./course.sh lab --instructor``, configured in jupyter/instructor/) loads in place of nbgrader's own.

nbgrader 0.9 renders formgrader's pages with a Jinja2 environment made without autoescape, so whatever they print
goes out as markup: a student id from the gradebook, or the URL's own segment
(``/formgrader/manage_students/<img src=x onerror=...>``, in a link the instructor follows), runs as script in
the instructor's Jupyter origin, with its cookies, the REST API and terminals. Its manual-grading view goes through
nbconvert's environment, which must not escape (it prints the notebook's HTML outputs, which the course cleans
before they are stored: `autograder.grading.in_nbgrader.sanitize_outputs`), and prints the student's id and name
as they are. The course refuses such ids at every door it controls (`autograder.instructor.student_ids`); this is
the defence behind those doors, for a row that got into the gradebook some other way and for a link:

- formgrader's own pages render with Jinja2's autoescape (none of its templates means to print markup from a
  value: none uses ``|safe``, and its macros' output is Markup already);
- the manual-grading view gets the strings it prints (ids, names, the notebook's path) HTML-escaped by MarkupSafe.

Escaping changes nothing for an honest id (letters, digits, ``_ . - @``). An id with markup shows as text; the
pages that also put it in a JavaScript string, to fetch their table, then ask for the escaped id and list nothing.
"""

from markupsafe import escape
from nbconvert.exporters import HTMLExporter
from nbgrader.server_extensions.formgrader import formgrader

NBGRADERS_OWN = "nbgrader.server_extensions.formgrader"


class EscapingHTMLExporter(HTMLExporter):
    """nbgrader's exporter of the manual-grading view, given the handler's strings HTML-escaped."""

    def from_filename(self, filename, resources=None, **kw):
        resources = {
            key: str(escape(value)) if isinstance(value, str) else value for key, value in (resources or {}).items()
        }
        return super().from_filename(filename, resources=resources, **kw)


def _jupyter_server_extension_points():
    return [{"module": __name__}]


def _load_jupyter_server_extension(serverapp):
    """Load nbgrader's formgrader, then swap in an autoescaping Jinja2 environment and the escaping exporter."""
    own = serverapp.extension_manager.extensions.get(NBGRADERS_OWN)
    if own is not None and own.enabled:  # it would load after this one (by name) and put its settings back
        own.enabled = False
        serverapp.log.warning("%s is enabled too: %s serves formgrader instead", NBGRADERS_OWN, __name__)
    formgrader.load_jupyter_server_extension(serverapp)
    settings = serverapp.web_app.settings
    settings["nbgrader_jinja2_env"] = settings["nbgrader_jinja2_env"].overlay(autoescape=True)
    settings["nbgrader_exporter"] = EscapingHTMLExporter(config=settings["nbgrader_exporter"].config)
