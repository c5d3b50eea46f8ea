"""The workspace at /app, where members and coordinators act: server-rendered pages over the
gateway's own schema, run in-process with the signed-in caller's session token (`api`), so a
page never shows or does more than the API lets that caller. `session` signs in by a one-time
link and keeps the session in a cookie; `safety` holds the CSRF check and the headers;
`forms` the form specs and their errors; `render` the templates; `member` and `coordinator`
the pages of each kind of person."""

SESSION_COOKIE = "commonweave_session"  # the session token: HttpOnly, SameSite=Strict
CSRF_COOKIE = "commonweave_csrf"  # double-submit: every form carries its value
