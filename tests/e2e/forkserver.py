"""Test servers forked from one warm interpreter: `streamlit run app.py` itself, without paying its imports again.

A `streamlit run` spends about a CPU-second importing Streamlit, SQLAlchemy, PyAV and the app's core before it answers
its health check, and every browser test starts one. This process imports all that once, then forks a child
per server that sets the server's environment, working directory and log, and runs Streamlit's own command line
(``streamlit.web.cli.main``) exactly as ``python -m streamlit`` does. Nothing of the app runs here before a fork: no
thread, socket, database or setting exists yet (checked before every fork).

Requests and answers are JSON lines on stdin and stdout:
``{"start": {"argv": [...], "env": {...}, "cwd": "...", "log": "..."}}`` → ``{"pid": n}``;
``{"status": n}`` → ``{"code": null}`` while it runs, else its exit code (minus the signal that ended it, as
``subprocess`` says). End of input ends this process.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import traceback

# What every server imports before its first page, so that each fork starts with it loaded.
import av  # noqa: F401
import numpy  # noqa: F401
import PIL.Image  # noqa: F401
import sqlalchemy  # noqa: F401
import streamlit.web.bootstrap
import streamlit.web.cli
import streamlit.web.server.starlette.starlette_app
import uvicorn  # noqa: F401
import websockets  # noqa: F401
from streamlit.components.v2 import manifest_scanner

import server.asgi  # noqa: F401
import starvideos.sandbox.server
import starvideos.services  # noqa: F401

# Streamlit looks through every installed package's metadata for components when a server starts: about 40 % of a
# forked server's start-up. The installed packages do not change during a test run, so they are looked through once.
_MANIFESTS = manifest_scanner.scan_component_manifests()
manifest_scanner.scan_component_manifests = lambda max_workers=None: list(_MANIFESTS)

_ended: dict[int, int] = {}


def _reap(*_: object) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _ended[pid] = os.waitstatus_to_exitcode(status)


def _run_child(argv: list[str], env: dict[str, str], cwd: str, log: str) -> None:
    """In the fork: become the server the request describes; never return."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        os.close(null)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        sys.argv = ["streamlit", *argv]
        streamlit.web.cli.main(args=argv, prog_name="streamlit")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    signal.signal(signal.SIGCHLD, _reap)
    answers = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        if "start" in request:
            assert threading.active_count() == 1, "a thread before a fork"
            answers.flush()
            pid = os.fork()
            if pid == 0:
                _run_child(**request["start"])
            answer: dict[str, object] = {"pid": pid}
        else:
            _reap()
            answer = {"code": _ended.get(request["status"])}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
