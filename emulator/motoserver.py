"""Start moto in server mode in this process, quietly, on a free local port."""

from __future__ import annotations

import logging
from typing import Any


def start_moto(host: str = "127.0.0.1", port: int = 0) -> tuple[Any, str]:
    """Return (server, endpoint URL). The caller stops it with `server.stop()`."""
    from moto.server import ThreadedMotoServer

    from emulator import quotas
    from emulator.taskproc import free_port

    quotas.install()  # moto knows no Fargate quotas of its own
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    if port == 0:
        port = free_port(host)
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    return server, f"http://{host}:{port}"
