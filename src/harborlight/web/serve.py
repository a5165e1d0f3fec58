"""Serving the workspace with uvicorn."""

from __future__ import annotations

from harborlight.config import Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8321


def serve(settings: Settings, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve until interrupted. Access logs are off: a request's path and query can carry what an analyst
    searched for, and the workspace never logs personal data; the audit chain records what matters."""
    import uvicorn

    from harborlight.web.app import create_app

    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning", server_header=False)
