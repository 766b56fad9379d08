import pytest

from tests.ledger.builders import Ledger


@pytest.fixture
def book(ledger, clock) -> Ledger:
    """The ledger service on a fresh SQLite file, driven event by event."""
    return Ledger(ledger, clock)
