"""Issue 22.6 without timing: on the national seed, every page the benchmark drives stays under
300 KiB of HTML, and its number of queries does not grow with the number of integrations."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboard.demo_national import seed_national
from onboarding.models import Integration

pytestmark = pytest.mark.django_db
MAX_HTML = 300 * 1024
STUCK = {"prefecture": "北海道", "vendor": "vendor-b", "stuck": "on"}
PAGES = [
    ("operator", "/board/", {}),
    ("operator", "/board/", STUCK),
    ("operator", "/board/", {"waiting": "60", "method": "api"}),
    ("alice", "/board/", {}),
    ("operator", "/integrations/", {}),
    ("operator", "/integrations/", STUCK),
    ("operator", "/integrations/", {"sort": "-stage_changed_at", "page": "3"}),
    ("alice", "/integrations/", {"stage": "testing"}),
    ("operator", "/scorecards/", {}),
    ("alice", "/scorecards/vendor-a/", {}),
    ("operator", "/", {}),
    ("alice", "/", {}),
]


def _measure(client_for, cast) -> list[tuple[int, int]]:
    figures = []
    for who, path, params in PAGES:
        client = client_for(getattr(cast, who))
        client.get(path, params)  # warm the per-process caches (session, content types)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, params)
        assert response.status_code == 200, (who, path, params)
        figures.append((len(response.content), len(queries)))
    return figures


def test_pages_stay_small_and_their_queries_do_not_grow_with_the_country(
    cast, client_for, settings
):
    settings.PMH_SCORECARD_CACHE_SECONDS = 0
    seed_national(prefectures={1, 13, 47})
    small = _measure(client_for, cast)
    seed_national()
    assert Integration.objects.count() > 4000
    large = _measure(client_for, cast)
    for (who, path, params), (size, queries), (_s, fewer) in zip(PAGES, large, small, strict=True):
        assert size <= MAX_HTML, (who, path, params, size)
        assert queries <= fewer, (who, path, params, queries, fewer)
