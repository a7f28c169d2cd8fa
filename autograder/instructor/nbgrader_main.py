"""nbgrader's command line as `autograder.instructor.nbgrader_process` runs it, the same commands at less cost.

    python -m autograder.instructor.nbgrader_main autograde 03_attention --student s1 ...

Two costs that do nothing for grading are left out, both measured on the course's machine:

- rfc3987-syntax is not imported: where it is installed, jsonschema imports it to register an IRI format
  check, which builds an Earley parser (0.8 s of CPU). nbgrader never checks formats: nbformat validates
  notebooks without a format checker. Imported first, before anything imports jsonschema, this module only
  keeps rfc3987-syntax out: the fork server of a LocalCluster's Dask workers
  (`autograder.instructor.dask_cluster`) imports it so, for the same reason.
- The process ends right after its exit handlers have run (logging flushed, temporary files removed),
  without Python's tearing down of every module and object it loaded (0.3-0.4 s of CPU): what nbgrader
  writes (notebooks, gradebook) is written and closed by then.
"""

import atexit
import os
import sys

sys.modules.setdefault("rfc3987_syntax", None)  # an import of it now raises ImportError: jsonschema skips the check
status = 1  # until nbgrader's main returns or exits


def _end_now() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    atexit.register(_end_now)  # registered first, so run last: after every exit handler that nbgrader's imports add

    from nbgrader.apps.nbgraderapp import main  # (after rfc3987-syntax is kept out)

    try:
        main()
        status = 0
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
        raise
