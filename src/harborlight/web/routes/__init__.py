"""The workspace's routes, one module per area. Each page route has a JSON twin under /api/ that
returns the same model; route names are the keys of policy.RULES."""

from harborlight.web.routes import admin, auth, cases, findings, networks, outcomes, overview, packets, statistics

ROUTERS = [auth.router, overview.router, findings.router, networks.router, packets.router, outcomes.router,
           cases.router, admin.router, statistics.router]
