"""Replies leave at once on kept-alive connections.

``streamlit run`` binds the listening socket itself with protocol 0, so asyncio's own "no delay" (set only for
sockets whose protocol is TCP) never applies: each reply on a reused connection waits about 40 ms for the peer's
delayed acknowledgement (Nagle), every ``/readyz`` probe and every Range request of a playing video among them.
Linux gives an accepted socket its listener's ``TCP_NODELAY``, so setting it once on this process's listening
sockets fixes every connection that follows (``uvicorn app:app`` binds its own socket and needs none of this).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket

log = logging.getLogger("starvideos.server")


def no_delay_on_listeners() -> int:
    """Set ``TCP_NODELAY`` on every listening TCP socket of this process; returns how many."""
    done = 0
    try:
        descriptors = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:  # not Linux: nothing to do (and nothing to gain from the trick)
        return 0
    for fd in descriptors:
        with contextlib.suppress(OSError):
            probe = socket.socket(fileno=os.dup(fd))
            try:
                if probe.family in (socket.AF_INET, socket.AF_INET6) and probe.type == socket.SOCK_STREAM \
                        and probe.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                    probe.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    done += 1
            finally:
                probe.close()
    log.debug("TCP_NODELAY set on %d listening socket(s)", done)
    return done
