"""Migration 0006 on a ledger that already has generations: each charge gains the model its
settings named, so that incidents find failures from before the upgrade by model."""

from __future__ import annotations

from ledger import IncidentWindow
from ledger.store.database import open_database
from ledger.store.incident_records import candidates
from tests.audit import query
from tests.ledger.test_migration_desk import _at, fresh_sqlite  # noqa: F401 (a fixture)

ACCOUNT = (
    "INSERT INTO accounts VALUES ('a', 'free', 'active', 0, 0, 0, 0, NULL, 0, NULL, 0, 0, 0,"
    " 1, 1, 1, NULL)"
)


def _generation(gid: str, settings: str) -> str:
    return (
        "INSERT INTO generations (generation_id, account_id, source, cost, outcome, status,"
        " daily, monthly, rollover, api, relaxed, charged_us, finished_us, reason, settings)"
        f" VALUES ('{gid}', 'a', 'web', 10, 'charged', 'failed', 10, 0, 0, 0, 0, 5, 7, NULL,"
        f" '{settings}')"
    )


async def test_generations_from_before_incidents_gain_their_model(fresh_sqlite):  # noqa: F811
    await _at(
        fresh_sqlite,
        "0005",
        ACCOUNT,
        _generation("g1", '{"model":"kino","width": 512}'),
        _generation("g2", '{"width": 512}'),
        _generation("g3", '{"model": 7}'),
        _generation("g4", '{"nested":{"model":"no"},"model":"phoenix"}'),
    )
    await _at(fresh_sqlite, "head")
    rows = await query(fresh_sqlite, "SELECT generation_id, model FROM generations ORDER BY 1")
    assert [tuple(r) for r in rows] == [
        ("g1", "kino"),
        ("g2", None),
        ("g3", None),
        ("g4", "phoenix"),
    ]
    db = open_database(fresh_sqlite)
    try:
        found = await db.read(lambda tx: candidates(tx, IncidentWindow(0, 10, "kino"), None, 10))
        assert [g.generation_id for g in found] == ["g1"]
    finally:
        await db.close()
