"""The request models of the services' internal routes, one module per service. The answers
are the contracts beside (`shared.contracts.<service>`); the typed clients of `shared.clients`
send the one and read the other."""
