"""Thousands of hostile C calls in a child process: each returns a status and a message, none crashes."""
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parents[1] / "Bindings" / "python"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hostile_calls_fail_cleanly(seed):
    calls = 20000  # ~590 per function and seed over the 34 specs
    child = subprocess.run([sys.executable, str(HERE / "hostile.py"), str(calls), str(seed), str(PACKAGE)],
                           capture_output=True, text=True, timeout=600)
    assert child.returncode == 0, f"child exit {child.returncode}\n{child.stdout}\n{child.stderr[-3000:]}"
    assert f"calls={calls} " in child.stdout
