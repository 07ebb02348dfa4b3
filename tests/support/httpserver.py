"""``python -m bot serve`` in a child process, on a free 127.0.0.1 port, stopped by its PID."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from servers import free_port, stop_pid

ROOT = Path(__file__).resolve().parents[2]

__all__ = ["serving"]


@contextlib.contextmanager
def serving(*options: str, log: Path | None = None) -> Iterator[str]:
    """The base URL of a server started with ``options``; its log goes to ``log``."""
    port = free_port()
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    out = log.open("ab") if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port), "--log-level", "WARNING",
         *options],
        cwd=ROOT, env=env, stdout=out, stderr=out,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError("the server did not become ready")
            time.sleep(0.05)
        yield base
    finally:
        stop_pid(process)
        if log is not None and hasattr(out, "close"):
            out.close()
