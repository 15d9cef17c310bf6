"""F3548 references are shown to every USS by the standard; each showing is recorded."""

from __future__ import annotations

from deconflict.store.sql import SqlStore
from tests.conftest import disclosed_about
from tests.e2e.dss.conftest import OIR, Dss, new_id, volume4d


def test_a_query_that_shows_another_managers_reference_is_recorded_for_it(
    dss: Dss, store: SqlStore
) -> None:
    intent_id = new_id()
    assert dss.alpha.create_intent(intent_id).status_code == 201
    r = dss.beta.call("POST", f"{OIR}/query", {"area_of_interest": volume4d()})
    assert [x["id"] for x in r.json()["operational_intent_references"]] == [intent_id]
    dss.alpha.call("POST", f"{OIR}/query", {"area_of_interest": volume4d()})
    dss.beta.call("GET", f"{OIR}/{intent_id}")
    assert disclosed_about(store, "uss-alpha") == [
        ("uss-beta", intent_id, "dss.query"),
        ("uss-beta", intent_id, "dss.get"),
    ]
