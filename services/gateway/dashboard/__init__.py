"""The coordinator's dashboard at /dashboard: `routes` (pages, sign-in), `queries` (the
GraphQL documents it runs in-process with the caller's token), `panels` (pure figures),
`charts` (pygal SVG), `templates/` and `static/` (its one stylesheet)."""

COOKIE = "commonweave_dashboard"  # the signed-in token: HttpOnly, SameSite=Strict, Path=/dashboard
