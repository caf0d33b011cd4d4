import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_page_is_japanese_by_default(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'lang="ja"' in body
    assert "ログイン" in body


def test_pages_redirect_anonymous_users_to_login(client):
    response = client.get(reverse("dashboard:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/nothing-here", "/inbound/abc"])
def test_exempt_paths_never_redirect_to_login(client, path):
    response = client.get(path)
    assert response.status_code != 302


def test_healthz_reports_database_and_queue(client, settings):
    settings.PMH_JOBS_INLINE = True
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "queue": "inline", "workers": 0}


def test_healthz_reports_broken_queue_as_503(client, settings):
    settings.PMH_JOBS_INLINE = False
    settings.RQ_QUEUES = {
        name: {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 5} for name in settings.RQ_QUEUES
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["queue"] == "error"


def test_operator_sees_admin_links_and_others_do_not(cast, client_for):
    body = client_for(cast.operator).get("/").content.decode()
    assert "/admin/" in body and "/django-rq/" in body
    for user in (cast.helpdesk, cast.alice):
        body = client_for(user).get("/").content.decode()
        assert "/admin/" not in body and "/django-rq/" not in body


def test_user_without_role_is_refused(cast, client_for):
    assert client_for(cast.outsider).get("/").status_code == 403


@pytest.mark.parametrize("path", ["/admin/", "/django-rq/"])
def test_admin_and_queue_pages_are_for_operators_only(cast, client_for, path):
    assert client_for(cast.operator).get(path).status_code == 200
    for user in (cast.helpdesk, cast.alice):
        response = client_for(user).get(path)
        assert response.status_code in (302, 403)


def test_security_headers(cast, client_for):
    response = client_for(cast.operator).get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_reference_no_external_url(cast, client_for):
    body = client_for(cast.operator).get("/").content.decode()
    urls = re.findall(r'(?:src|href|action)="([^"]+)"', body)
    assert urls
    assert all(not re.match(r"(https?:)?//", url) for url in urls), urls


def test_login_is_throttled_after_repeated_failures(cast, client):
    for _ in range(5):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "alice", "password": "x-Secret-42"})
    assert response.status_code == 429
    assert "ロック" in response.content.decode()


def test_login_with_correct_password(cast, client):
    response = client.post(reverse("login"), {"username": "alice", "password": "x-Secret-42"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_english_is_available(cast, client_for):
    client = client_for(cast.operator)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Dashboard" in client.get("/").content.decode()


def test_healthz_counts_workers_on_the_real_redis(client, settings):
    import os

    import redis

    url = os.environ.get("REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI runs with REDIS_URL set")
        pytest.skip("no REDIS_URL: the real-Redis path is checked under CI")
    settings.PMH_JOBS_INLINE = False
    settings.RQ_QUEUES = {name: {"URL": url, "DEFAULT_TIMEOUT": 5} for name in settings.RQ_QUEUES}
    redis.Redis.from_url(url).ping()
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["queue"] == "ok" and isinstance(body["workers"], int)


def test_serving_without_a_secret_key_is_refused(settings):
    from django.core.checks import run_checks
    from django.core.exceptions import ImproperlyConfigured

    settings.DEBUG = False
    settings.SECRET_KEY = "a-real-key-from-the-environment-0123456789"
    from pmhadmin import wsgi  # imports (and checks) once, with a real key

    settings.SECRET_KEY = settings.DEV_SECRET_KEY
    assert any(e.id == "pmh.E001" for e in run_checks(include_deployment_checks=True))
    with pytest.raises(ImproperlyConfigured):
        wsgi._refuse_development_key()
    settings.SECRET_KEY = "a-real-key-from-the-environment-0123456789"
    wsgi._refuse_development_key()
