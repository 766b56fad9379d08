import pytest

from tests.ledger.builders import Ledger


@pytest.fixture
def book(ledger, clock) -> Ledger:
    """The ledger service on a fresh SQLite file, driven event by event."""
    return Ledger(ledger, clock)


@pytest.fixture
def url(tmp_path) -> str:
    """A SQLite file for the command line to create and use."""
    return f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
