"""The grading kernel's guard: what a submission may not do, and what the course's own code still may.

One fresh Python process installs the guard (it cannot be uninstalled) and tries each case; the
tests read what happened to each.
"""

import json
import os
import subprocess
import sys

import pytest

REFUSED = {  # what a hostile submission tries: each must raise
    "replace torch.allclose": "torch.allclose = lambda *args, **kwargs: True",
    "replace a function of torch.nn.functional": "torch.nn.functional.softmax = lambda x, dim: x",
    "delete torch.testing.assert_close": "del torch.testing.assert_close",
    "replace a check function": "check.softmax_naive_hidden = lambda *args, **kwargs: None",
    "replace the code of a check function": "check.softmax_naive_hidden.__code__ = (lambda *a, **k: None).__code__",
    "replace a builtin": "import builtins; builtins.isinstance = lambda *args: True",
    "give a module back its plain type": "import types; torch.__class__ = types.ModuleType",
    "write into the course": "open(course / 'gradebook.db', 'w').write('gone')",
    "append through os.open": "os.close(os.open(course / 'gradebook.db', os.O_WRONLY | os.O_APPEND))",
    "delete a file of the course": "os.remove(course / 'gradebook.db')",
    "rename a file of the course": "os.rename(course / 'gradebook.db', 'mine.db')",
    "hard-link a file of the course": "os.link(course / 'gradebook.db', 'link.db')",
    "write through a symbolic link": "os.symlink(course / 'gradebook.db', 'alias.db'); open('alias.db', 'w')",
    "remove a folder of the course": "import shutil; shutil.rmtree(course)",
    "open the gradebook with SQLite": "import sqlite3; sqlite3.connect(course / 'gradebook.db')",
    "run a program": "import subprocess; subprocess.run(['true'])",
    "run a shell command": "os.system('true')",
    "signal another process": "os.kill(os.getppid(), 0)",
    "walk the garbage collector": "import gc; gc.get_referrers(torch.allclose)",
    "trace the checks": "sys.settrace(lambda *args: None)",
    "reach memory with ctypes": "import ctypes; ctypes.pythonapi.Py_IncRef",
}
UNDONE = {  # changes to classes, which Python cannot refuse: restore_classes() puts them back
    "replace a helper of the checks": (
        "core.Check.tensor = lambda *args, **kwargs: None",
        "core.Check.tensor.__name__ == 'tensor'",
    ),
    "shadow a tensor method": (
        "torch.Tensor.allclose = lambda *args, **kwargs: True",
        "not torch.ones(1).allclose(torch.zeros(1))",
    ),
    "replace a tensor operator": (
        "torch.Tensor.__le__ = lambda self, other: True",
        "not bool((torch.ones(1) <= torch.zeros(1)).all())",
    ),
    "delete a method of nn.Module": ("del torch.nn.Module.eval", "torch.nn.Linear(1, 1).eval().training is False"),
}
READS = {  # ways to read the reference's source: each must be refused and recorded, with the file named
    "open it": "open(reference_file).read()",
    "read it with pathlib": "reference_file.read_text()",
    "copy it with shutil": "import shutil; shutil.copy(reference_file, 'copied.py')",
    "os.open and os.read": "os.read(os.open(reference_file, os.O_RDONLY), 100)",
    "through a link in the folder": "os.symlink(reference_file, 'alias.py'); open('alias.py').read()",
    "through a dir_fd": "os.open(reference_file.name, os.O_RDONLY, dir_fd=os.open(reference_file.parent, os.O_RDONLY))",
    "ask its loader": "reference.__loader__.get_source(reference.__name__)",
    "read its compiled code": "import importlib.util; open(importlib.util.cache_from_source(reference.__file__), 'rb')",
    "read it with numpy": "import numpy; numpy.fromfile(reference_file, dtype='uint8')",
    "in code compiled under its name": "exec(compile('open(reference_file).read()', reference.__file__, 'exec'))",
}
ALLOWED = {  # what the course's notebooks and checks do: each must work
    "write in the notebook's folder": "open('notes.txt', 'w').write('mine')",
    "make a folder there": "os.makedirs('checkpoints/run', exist_ok=True)",
    "save a checkpoint in the temporary directory": (
        "import tempfile\nwith tempfile.TemporaryDirectory() as d: torch.save({'w': torch.ones(2)}, d + '/c.pt')"
    ),
    "read a file of the course": "open(course / 'gradebook.db').read()",
    "define and change own classes": "class Mine(torch.nn.Module):\n    pass\nMine.size = 3",
    "add a name to a module": "torch.my_helper = 1",
    "import a module later": "import json.tool",
    "run the checks": "check.softmax_naive(lambda x: torch.softmax(x, dim=-1))",
    "train a layer": (
        "layer = torch.nn.Linear(3, 2); optimizer = torch.optim.AdamW(layer.parameters())\n"
        "layer(torch.ones(4, 3)).sum().backward(); optimizer.step()"
    ),
    "signal itself": "os.kill(os.getpid(), 0)",
    "copy a tensor and a module": "import copy; copy.deepcopy(torch.ones(2)); copy.deepcopy(torch.nn.Linear(2, 2))",
    "load the course's data": "from autograder.materials.data import load_dog_planet; load_dog_planet()",
    "import a module of the course": "import autograder.grading.untrusted_text",
    "format a traceback through the checks": (
        "import traceback\ntry:\n    check.softmax_naive(None)\nexcept Exception:\n    traceback.format_exc()"
    ),
}

PROGRAM = """
import json, os, sys, torch
from pathlib import Path
from autograder.checks import attention as check, core
from autograder.reference import attention as reference
reference_file = Path(reference.__file__)
course = Path(sys.argv[1])
from autograder.grading.in_kernel import guard as kernel_guard
kernel_guard.install()
outcomes, reads = {}, {}
for name, code in json.loads(sys.argv[2]).items():
    try:
        exec(code, dict(globals()))
        changed = kernel_guard.restore_classes()  # what torch and Python change on their own is no one's tampering
        outcomes[name] = f"ran, but {changed} had to be put back" if changed else "ran"
    except Exception as error:
        outcomes[name] = f"{type(error).__name__}: {error}"
    reads[name] = kernel_guard.take_course_file_reads()
for name, (change, undone) in json.loads(sys.argv[3]).items():
    exec(change, dict(globals()))
    changed = kernel_guard.restore_classes()
    outcomes[name] = "undone" if changed and eval(undone, dict(globals())) else f"not undone: {changed}"
print(json.dumps({"outcomes": outcomes, "reads": reads}))
"""


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    (course / "gradebook.db").write_text("grades")
    notebook_folder = tmp_path_factory.mktemp("notebook")
    temporary = tmp_path_factory.mktemp("tmp")
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(course), json.dumps(REFUSED | READS | ALLOWED), json.dumps(UNDONE)],
        cwd=notebook_folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TMPDIR": str(temporary)},
    )
    assert result.returncode == 0, result.stderr
    assert (course / "gradebook.db").read_text() == "grades"
    return json.loads(result.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def outcomes(guarded):
    return guarded["outcomes"]


@pytest.mark.parametrize("case", REFUSED)
def test_the_guard_refuses(outcomes, case):
    assert outcomes[case].startswith(("PermissionError: grading:", "AttributeError: grading:")), outcomes[case]


@pytest.mark.parametrize("case", UNDONE)
def test_changed_classes_are_put_back(outcomes, case):
    assert outcomes[case] == "undone"


@pytest.mark.parametrize("case", READS)
def test_reading_the_course_s_own_files_is_refused_and_recorded(guarded, case):
    reads = guarded["reads"][case]  # the file, its compiled code, or the folder a dir_fd was opened on
    assert reads and all(path.startswith("autograder/reference") for path in reads), reads
    assert guarded["outcomes"][case] != "ran"  # refused: a grading error, or what the route made of it


@pytest.mark.parametrize("case", ALLOWED)
def test_the_guard_allows(guarded, case):
    assert guarded["outcomes"][case] == "ran"
    assert guarded["reads"][case] == []
