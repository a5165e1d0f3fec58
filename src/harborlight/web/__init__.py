"""The shared workspace: a FastAPI application over the read layer and the operational store.

Every page is server-rendered with Jinja2 and has a JSON twin under /api/ built from the same
model, so the browser and a script see the same thing. Who may open which route is decided in
one place (policy.py) by a dependency every route passes through (context.py).
"""

from harborlight.web.app import create_app

__all__ = ["create_app"]
