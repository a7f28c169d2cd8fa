"""`./course.sh lab --headless` started for a browser test, and a loopback listener that records what a page
fetched (what tests/test_browser.py and tests/test_instructor_views.py share)."""

import contextlib
import http.server
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from autograder.instructor.nbgrader_process import tool_environment
from tests.support.loopback import free_port
from tools.checkout import TREE

TOKEN = "course-browser-test"


def course_lab(notebooks: Path, home: Path, *options: str):
    """`./course.sh lab --headless` on ``notebooks`` with this environment; JupyterLab's user settings,
    workspaces and user config (and nbgrader's user config) start empty in ``home``. Yields the server's URL."""
    port = free_port()
    environment = {
        key: value for key, value in tool_environment().items() if not key.startswith(("JUPYTER", "JUPYTERLAB"))
    }
    environment.update(
        VENV=sys.prefix,  # course.sh uses the environment that runs the tests ...
        COURSE_SETUP_DONE="1",  # ... which is set up already
        PORT=str(port),
        JUPYTER_TOKEN=TOKEN,
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
    )
    server = subprocess.Popen(
        [TREE.root / "course.sh", "lab", "--headless", f"--notebook-dir={notebooks}", *options],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start within a minute")
        yield url
    finally:
        server.terminate()  # course.sh execs JupyterLab: this is the server itself
        server.wait(timeout=30)


class Listener:
    """An HTTP server on loopback that answers every GET with 204 and keeps its path: where a payload that ran in
    the browser reports."""

    def __init__(self):
        self.paths: list[str] = []
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                listener.paths.append(self.path)
                self.send_response(204)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def starting_with(self, prefix: str) -> set[str]:
        return {path.removeprefix(prefix) for path in list(self.paths) if path.startswith(prefix)}


@contextlib.contextmanager
def listening():
    listener = Listener()
    thread = threading.Thread(target=listener.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        listener.server.shutdown()
        listener.server.server_close()
