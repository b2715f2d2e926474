"""Waiting for a forked child that may hang (a fork child inherits no threads but the caller's)."""
import os
import signal
import time

import pytest


def child_exit_code(pid: int, seconds: float, what: str) -> int:
    """The exit code of child `pid`; the test fails, naming `what`, if the child runs longer than
    `seconds` (it is then killed)."""
    deadline = time.monotonic() + seconds
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"{what} did not finish within {seconds:g} s")
        time.sleep(0.01)
