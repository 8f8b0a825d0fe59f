"""``python -m starvideos.sandbox --port 8765``: run the simulated API until interrupted."""

from __future__ import annotations

import argparse
import contextlib
import threading

from .server import SandboxServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the simulated StarVideos API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--queued-seconds", type=float, default=1.5)
    parser.add_argument("--processing-seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    with SandboxServer(args.port, queued_seconds=args.queued_seconds,
                       processing_seconds=args.processing_seconds) as server:
        print(f"StarVideos sandbox on {server.base_url} (any bearer token works). Ctrl+C to stop.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
