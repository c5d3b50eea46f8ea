"""GraphiQL served by the gateway itself: the page at GET /graphql and its assets (vendored
under static/graphiql/, see VERSIONS.md there) at /static/graphiql/, so it works offline. The
page opens with a starter query and a headers tab that shows where the token goes."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).with_name("static")
ASSETS_PATH = "/static/graphiql"

STARTER_QUERY = """\
# Commonweave. `make demo` prints a token and a network id:
# the token goes in Headers below, the id in Variables.
# Then run this query (Ctrl-Enter, or the pink button).
query Start($networkId: ID!) {
  me { memberId role organizationId }
  network(id: $networkId) { name region }
  partnerships(networkId: $networkId, first: 5) {
    edges { node { name status health { score label } } }
  }
  needs(networkId: $networkId, first: 5) {
    edges { node { title area severity } }
  }
  unreadNotificationCount
}
"""
STARTER_VARIABLES = '{"networkId": "net_…"}'
STARTER_HEADERS = '{"Authorization": "Bearer <a token from make demo>"}'


def graphiql_html(
    query: str = STARTER_QUERY,
    variables: str = STARTER_VARIABLES,
    headers: str = STARTER_HEADERS,
) -> str:
    starter = json.dumps({"query": query, "variables": variables, "headers": headers})
    template = (STATIC_DIR / "graphiql.html").read_text(encoding="utf-8")
    # `</` inside a string would end the <script> element early.
    return template.replace("__STARTER__", starter.replace("</", "<\\/"))


def mount_graphiql_assets(app: FastAPI) -> None:
    app.mount(ASSETS_PATH, StaticFiles(directory=STATIC_DIR / "graphiql"), name="graphiql")
