import textwrap

import pytest


def student_namespace(source: str) -> dict:
    """Run ``source`` as a notebook would (module ``__main__``) and return its globals."""
    namespace = {"__name__": "__main__"}
    exec(textwrap.dedent(source), namespace)
    return namespace


@pytest.fixture
def student():
    return student_namespace
