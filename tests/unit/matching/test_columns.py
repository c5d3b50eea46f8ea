"""The index filled from the read model's documents (a projection, no model per document)
is the index filled from validated profiles; a document that does not fit names its field;
a mission's cosine is the same whether every row or a few are asked for."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from services.matching.domain.columns import ProfileColumns
from services.matching.domain.index import ProfileIndex
from services.matching.domain.scoring import top_partners
from services.matching.service import weights_from
from shared.settings import Settings
from tests.support.field_report import ORGANIZATIONS
from tests.unit.matching.test_shortlist import network

MONDAY = date(2025, 1, 6)
WEIGHTS = weights_from(Settings(_env_file=None))


def projected(document: dict[str, Any]) -> dict[str, Any]:
    """A profile document with only the fields the index reads: no others are needed."""
    kept = {
        "organization_id", "network_id", "version", "name", "mission", "focus_areas",
        "free_tags", "values", "offers", "needs", "region", "time_zone", "availability",
        "populations_served", "virtual_ready", "open_to_other_networks", "archived",
    }  # fmt: skip
    out = {k: v for k, v in document.items() if k in kept}
    for side in ("offers", "needs"):
        out[side] = [{"kind": r["kind"]} for r in out.get(side, [])]
    return out


def test_documents_fill_the_index_as_profiles_do() -> None:
    documents = [projected(p.model_dump(mode="json")) for p in ORGANIZATIONS]
    documents[0]["reliability"] = 0.9
    from_profiles, from_documents = ProfileIndex(MONDAY), ProfileIndex(MONDAY)
    from_profiles.put_many(ORGANIZATIONS)
    from_profiles.set_reliability(ORGANIZATIONS[0].organization_id, 0.9)
    from_documents.put_columns(ProfileColumns.of_documents(documents))
    for p in ORGANIZATIONS:
        assert top_partners(from_documents, p.organization_id, WEIGHTS) == top_partners(
            from_profiles, p.organization_id, WEIGHTS
        )
    n = len(ORGANIZATIONS)
    for name, matrix in from_profiles.sets.items():
        assert (matrix.data[:n] == from_documents.sets[name].data[:n]).all()
    assert from_documents.reliability_known[0] and not from_documents.reliability_known[1:n].any()


def test_documents_keep_the_contracts_defaults() -> None:
    [organization] = ProfileColumns.of_documents(
        [{"organization_id": "org_a", "network_id": "net", "version": 1, "name": "A"}]
    ).ids
    assert organization == "org_a"


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", None), ("focus_areas", [3]), ("virtual_ready", "maybe"), ("offers", [{}])],
)
def test_a_document_that_does_not_fit_is_named(field: str, value: object) -> None:
    documents = [projected(p.model_dump(mode="json")) for p in ORGANIZATIONS]
    documents[5][field] = value
    with pytest.raises(ValidationError) as raised:
        ProfileColumns.of_documents(documents)
    assert field in str(raised.value)


def test_a_document_pydantic_would_coerce_is_read_as_it_reads_it() -> None:
    documents = [projected(p.model_dump(mode="json")) for p in ORGANIZATIONS]
    documents[5]["virtual_ready"] = "yes"
    documents[5]["reliability"] = 0.8
    columns = ProfileColumns.of_documents(documents)
    assert columns.virtual[5] is True and columns.reliability[5] == 0.8


def test_a_batch_naming_one_organization_twice_keeps_the_last() -> None:
    index = ProfileIndex(MONDAY)
    first, second = ORGANIZATIONS[0], ORGANIZATIONS[0].model_copy(update={"values": ["x"]})
    assert index.put_many([first, second]) == [0, 0]
    assert index.labels("values", 0) == ["x"] and len(index) == 1


def test_a_missions_cosine_is_the_same_for_every_row_or_a_few() -> None:
    index, _ = network(3, 500)  # half compacted, half pending
    n = len(index)
    rng = np.random.default_rng(3)
    for row in rng.choice(n, 20, replace=False):
        query = index.mission.query_row(int(row))
        every = index.mission.similarity(query, n)
        among = np.sort(rng.choice(n, 50, replace=False)).astype(np.int64)
        assert (index.mission.similarity(query, n, among) == every[among]).all()


def test_a_bulk_load_weighs_missions_as_one_at_a_time() -> None:
    texts = [" ".join(random.Random(i).choices(["food", "youth", "arts", "water"], k=5))
             for i in range(300)]  # fmt: skip
    bulk, single = ProfileIndex(MONDAY).mission, ProfileIndex(MONDAY).mission
    bulk.set_many(0, texts)
    for row, text in enumerate(texts):
        single.set(row, text)
    bulk.compact()
    single.compact()
    assert (bulk.doc_freq == single.doc_freq).all()
    assert abs(bulk.matrix - single.matrix).max() < 1e-6
