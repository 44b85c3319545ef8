"""Each devtools script loads as the Makefile runs it: `python devtools/<name>.py` from the
repository, with only devtools/ on the path (a module it imports at the top from the
repository's packages would fail there, as `make bench` once did)."""

import pytest

from support import REPO, run_python

SCRIPTS = sorted(  # the ones run as scripts (the seed runs inside the local cloud)
    path.stem
    for path in (REPO / "devtools").glob("*.py")
    if 'if __name__ == "__main__":' in path.read_text()
)


@pytest.mark.parametrize("name", SCRIPTS)
def test_the_script_loads_with_only_devtools_on_the_path(name):
    probe = (
        "import runpy, sys\n"
        "sys.path[0] = 'devtools'\n"
        f"runpy.run_path('devtools/{name}.py', run_name='probe')\n"
    )
    run = run_python("-c", probe, env={"PYTHONPATH": ""})
    assert run.returncode == 0, run.stderr
