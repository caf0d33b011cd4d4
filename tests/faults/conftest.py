import pytest

from tests.faults.postgres import ThrowawayPostgres


@pytest.fixture
def throwaway_postgres():
    """A PostgreSQL cluster of this test alone, on a free loopback port (restart it at will)."""
    cluster = ThrowawayPostgres()
    yield cluster
    cluster.destroy()
