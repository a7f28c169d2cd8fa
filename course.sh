#!/usr/bin/env bash
# One entry point for students, instructors and CI. Every command first sets up (or reuses)
# the virtual environment in .venv.
#   ./course.sh lab [--headless] [--solutions]
#                                  start JupyterLab on your copy of the assignments (or on the solutions)
#   ./course.sh test [pytest args] run the whole test suite (what CI runs)
#   ./course.sh build [NN_name...] regenerate course/release and solutions from course/source
#   ./course.sh setup              only set up the environment
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
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
    # Students work on copies in my_notebooks/, so the committed release stays clean.
    mkdir -p my_notebooks
    for release in course/release/*/; do
        name=$(basename "$release")
        [[ -e my_notebooks/$name ]] || cp -r "$release" "my_notebooks/$name"
    done
    local args=(--notebook-dir=my_notebooks)
    for option in "$@"; do
        case $option in
            --headless) args+=(--no-browser --ip=127.0.0.1 --port="${PORT:-8888}") ;;
            --solutions) args[0]=--notebook-dir=solutions ;;
            *) echo "unknown option $option (expected --headless or --solutions)" >&2; exit 2 ;;
        esac
    done
    [[ $(id -u) == 0 ]] && args+=(--allow-root)  # containers and servers often run as root
    exec "$VENV/bin/jupyter" lab "${args[@]}"
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
    test) setup; export PATH="$PWD/$VENV/bin:$PATH" OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
          exec "$VENV/bin/python" -m pytest -n 2 --dist=loadfile "$@" ;;
    build) setup; OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} exec "$VENV/bin/gpt-course" build "$@" ;;
    *) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; [[ $command == help ]] ;;
esac
