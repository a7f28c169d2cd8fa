#!/usr/bin/env bash
# One entry point for students, instructors and CI. Every command first sets up (or reuses)
# the virtual environment in .venv.
#   ./course.sh lab [--headless] [--solutions] [--instructor] [--notebook-dir=DIR]
#                                  start JupyterLab on your copy of the assignments (or on the solutions),
#                                  with nbgrader's student tools (--instructor: all of nbgrader's tools)
#   ./course.sh test [--fast] [pytest args]
#                                  run the whole test suite (what CI runs); --fast: only the tests that need no
#                                  nbgrader, sandbox, browser, notebook run, PostgreSQL, Dask or registry (35 s)
#   ./course.sh build [NN_name...] regenerate course/release and solutions from course/source
#   ./course.sh book [--out DIR]   write the executed solutions as a static website (default build/book)
#   ./course.sh selfgrade NN_name [NOTEBOOK] [--no-sandbox]
#                                  grade your notebook (default: the assignment's in my_notebooks/NN_name/) as the
#                                  instructor's autograde would: points per exercise, hidden tests included
#   ./course.sh setup              only set up the environment
set -euo pipefail
CALLER_DIR=$PWD  # a NOTEBOOK given to selfgrade is relative to where the command was typed
cd "$(dirname "$0")"

VENV=${VENV:-.venv}  # the environment to use; tests/test_browser.py points it at the one running the tests
PYTHON=${PYTHON:-python3}
# The Pythons that constraints.txt's exact versions install on (tests/test_python_versions.py resolves them;
# soupsieve 4 needs 3.11.5). pyproject.toml's wider requires-python is for `pip install .` with ranges.
SUPPORTED_PYTHON=">=3.11.5,<3.15"

check_python() {
    "$PYTHON" - "$SUPPORTED_PYTHON" <<'EOF'
import sys
low, high = (tuple(int(part) for part in bound.strip("<>=").split(".")) for bound in sys.argv[1].split(","))
if not low <= sys.version_info[:3] < high:
    sys.exit(f"The course needs Python {sys.argv[1]}; {sys.executable} is {sys.version.split()[0]}. "
             "Run again with PYTHON=python3.12 (or another version in that range).")
EOF
}

setup() {
    # Set by `./course.sh test` for the course.sh commands its tests run (tests/test_browser.py): set up already.
    [[ -n ${COURSE_SETUP_DONE:-} ]] && return
    local stamp=$VENV/.installed
    if [[ ! -x $VENV/bin/python ]]; then
        check_python || exit 2
        echo "Creating the virtual environment in $VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    # Reinstall only when the requirements or their tested versions changed since the last install.
    if [[ ! -f $stamp || pyproject.toml -nt $stamp || constraints.txt -nt $stamp ]]; then
        echo "Installing the course's requirements (first time: a few minutes)"
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -c constraints.txt -e '.[test]'
        touch "$stamp"
    fi
    "$VENV/bin/python" -c "import autograder"  # seeds tiktoken's GPT-2 cache for offline use
}

lab() {
    local notebooks=my_notebooks instructor=false args=()
    for option in "$@"; do
        case $option in
            --headless) args+=(--no-browser --ip=127.0.0.1 --port="${PORT:-8888}") ;;
            --solutions) notebooks=solutions ;;
            --notebook-dir=*) notebooks=${option#--notebook-dir=} ;;
            --instructor) instructor=true ;;
            *) echo "unknown option $option (expected --headless, --solutions, --instructor or --notebook-dir=DIR)" >&2
               exit 2 ;;
        esac
    done
    if [[ $notebooks == my_notebooks ]]; then
        # Students work on copies in my_notebooks/, so the committed release stays clean. File by file: a notebook
        # added to an assignment (07 became three) arrives, and a copy a student has is never overwritten.
        local release target
        while IFS= read -r -d '' release; do
            target=my_notebooks/${release#course/release/}
            [[ -e $target ]] || { mkdir -p "$(dirname "$target")"; cp "$release" "$target"; }
        done < <(find course/release -mindepth 2 -type f -print0)
    fi
    if $instructor; then
        # The instructor's JupyterLab (jupyter/instructor/): formgrader served by the course's extension
        # (autograder/instructor/formgrader_escaping.py), which escapes what formgrader's pages print.
        export JUPYTER_CONFIG_PATH=$PWD/jupyter/instructor${JUPYTER_CONFIG_PATH:+:$JUPYTER_CONFIG_PATH}
    else
        # The student's JupyterLab (jupyter/student/): nbgrader's student tools only (assignment list, Validate;
        # no Formgrader, Create Assignment or Course List) and no prompt to fetch Jupyter's news. Read through
        # Jupyter's config path and JupyterLab's settings overrides; installed files stay as they are.
        export JUPYTER_CONFIG_PATH=$PWD/jupyter/student${JUPYTER_CONFIG_PATH:+:$JUPYTER_CONFIG_PATH}
        args+=(--LabApp.app_settings_dir="$PWD/jupyter/student/settings")
    fi
    [[ $(id -u) == 0 ]] && args+=(--allow-root)  # containers and servers often run as root
    exec "$VENV/bin/jupyter" lab --notebook-dir="$notebooks" "${args[@]}"
}

command=${1:-help}
shift || true
case $command in
    setup) setup ;;
    lab) setup; lab "$@" ;;
    # Two workers; --dist=loadfile keeps each notebook's cells on one worker, in order, in one kernel.
    # One torch thread per process: two workers fill two cores, and two threads fighting over one
    # busy core made training several times slower. Solutions are built with the same setting, so
    # nbval compares outputs computed the same way.
    # --fast deselects the markers of tests that need more than Python (pyproject.toml lists them).
    test) setup; export PATH="$PWD/$VENV/bin:$PATH" OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} COURSE_SETUP_DONE=1
          args=()
          for arg in "$@"; do
              if [[ $arg == --fast ]]; then
                  args=(-m "not nbgrader and not sandbox and not browser and not notebooks and not postgres and not dask and not registry" "${args[@]}")
              else
                  args+=("$arg")
              fi
          done
          exec "$VENV/bin/python" -m pytest -n 2 --dist=loadfile "${args[@]}" ;;
    book) setup; exec "$VENV/bin/python" -m autograder.instructor.book "$@" ;;
    build) setup; OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} exec "$VENV/bin/gpt-course" build "$@" ;;
    selfgrade) setup; root=$PWD; gpt_course="$(cd "$VENV/bin" && pwd)/gpt-course"; cd "$CALLER_DIR"
               OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} exec "$gpt_course" selfgrade --root "$root" "$@" ;;
    *) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; [[ $command == help ]] ;;
esac
