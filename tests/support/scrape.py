"""A service's `GET /metrics`, parsed with prometheus-client's parser as Prometheus would
parse it, and the sums the tests read from it."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from deploy.stack import Stack
from shared.settings import ServiceName
from tests.support import http
from tests.support.wait import eventually

BACKLOG = "commonweave_outbox_backlog"
AGE = "commonweave_outbox_oldest_pending_age_seconds"

Scrape = dict[str, list[Sample]]


def scrape(stack: Stack, service: ServiceName, client: httpx.Client | None = None) -> Scrape:
    url = f"{stack.service_url(service)}/metrics"
    response = client.get(url, timeout=10) if client else http.get(url, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Scrape = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def scrape_until(
    stack: Stack, service: ServiceName, condition: Callable[[Scrape], bool], timeout: float
) -> Scrape:
    """The first scrape of the service that meets the condition."""

    def met() -> Scrape | None:
        samples = scrape(stack, service)
        return samples if condition(samples) else None

    return eventually(met, timeout)


def total(samples: Scrape, name: str, **labels: str) -> float:
    """The sum of the samples of `name` with these labels (0 if there are none)."""
    return sum(
        s.value
        for s in samples.get(name, [])
        if all(s.labels.get(key) == value for key, value in labels.items())
    )
