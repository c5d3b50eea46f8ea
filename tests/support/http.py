"""httpx's module-level calls on the process's one TLS context (`shared.http.tls_context`).
httpx's own build a new context for each call, parsing the CA bundle: 22 ms of CPU, on plain
HTTP too, and the tests' polling (`eventually` over a GET) made that about half of the test
workers' CPU (BENCHMARKS.md, "Start-up and the test suite")."""

from __future__ import annotations

from functools import partial

import httpx

from shared.http import tls_context

get = partial(httpx.get, verify=tls_context())
post = partial(httpx.post, verify=tls_context())
put = partial(httpx.put, verify=tls_context())
delete = partial(httpx.delete, verify=tls_context())
request = partial(httpx.request, verify=tls_context())
