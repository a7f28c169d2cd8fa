"""`./course.sh lab` copies the student notebooks into my_notebooks/ file by file, before JupyterLab starts: a
notebook added to an assignment arrives, and a student's copy is never overwritten. (JupyterLab itself, started by
the same command, is tested in a real browser: tests/test_browser.py; here a script in its place records the call.)"""

import os
import shutil
import stat
import subprocess

from tools.checkout import TREE


def test_lab_copies_the_notebooks_a_student_lacks_and_keeps_the_ones_they_have(tmp_path):
    root = tmp_path / "checkout"
    shutil.copytree(TREE.course / "release", root / "course" / "release")
    shutil.copy(TREE.root / "course.sh", root)
    stand_in = tmp_path / "venv" / "bin" / "jupyter"
    stand_in.parent.mkdir(parents=True)
    stand_in.write_text('#!/bin/sh\necho "jupyter $*"\n')
    stand_in.chmod(stand_in.stat().st_mode | stat.S_IXUSR)
    mine = root / "my_notebooks" / "07_gpt"
    mine.mkdir(parents=True)
    (mine / "07a_gpt_model.ipynb").write_text("my work")  # a copy from before 07 was three notebooks
    (mine / "07_gpt.ipynb").write_text("my old work")
    ran = subprocess.run(
        [root / "course.sh", "lab", "--headless"],
        env={**os.environ, "VENV": str(tmp_path / "venv"), "COURSE_SETUP_DONE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 0 and "jupyter lab --notebook-dir=my_notebooks" in ran.stdout, ran
    released = sorted(path.relative_to(TREE.course / "release") for path in (TREE.course / "release").rglob("*.ipynb"))
    copied = sorted(path.relative_to(root / "my_notebooks") for path in (root / "my_notebooks").rglob("*.ipynb"))
    assert copied == sorted([*released, mine.relative_to(root / "my_notebooks") / "07_gpt.ipynb"])
    assert (mine / "07a_gpt_model.ipynb").read_text() == "my work"
    assert (mine / "07b_pretraining.ipynb").read_bytes() == TREE.release_path("07b_pretraining").read_bytes()
