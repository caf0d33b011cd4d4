import copy
import os
import uuid

import pytest
from django.contrib.auth.models import Group

from console.roles import ensure_groups
from onboarding.models import Integration, Municipality, User, Vendor

# Playwright's sync API runs an event loop in the main thread (browser tests only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _console_settings(settings, tmp_path):
    settings.PMH_JOBS_MODE = "sync"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PMH_DROPBOX_ROOT = tmp_path / "dropbox"
    settings.PMH_STORAGE_ROOT = tmp_path / "files"
    # Test mails carry no Authentication-Results; tests of the refusal switch this off.
    settings.PMH_MAIL_ACCEPT_UNAUTHENTICATED = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _cache_of_its_own(settings):
    """Each test gets a cache namespace of its own, in both modes.

    Rate-limit counters live in the cache and are keyed by token id; SQLite reuses ids after a
    rolled-back test, so without this one test's requests count against the next one's.
    """
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches


class Cast:
    """The fixed cast of console users: operator, help desk, two vendors, two municipal users
    and an outsider."""

    def __init__(self):
        ensure_groups()
        groups = {g.name: g for g in Group.objects.all()}
        self.vendor_a = Vendor.objects.create(name="ベンダーA", slug="vendor-a")
        self.vendor_b = Vendor.objects.create(name="ベンダーB", slug="vendor-b")
        self.operator = self._user("operator", groups["operator"], is_staff=True)
        self.helpdesk = self._user("helpdesk", groups["helpdesk"])
        self.alice = self._user("alice", groups["vendor"], vendor=self.vendor_a)
        self.bob = self._user("bob", groups["vendor"], vendor=self.vendor_b)
        self.outsider = self._user("outsider", None)
        self.chiyoda = Municipality.objects.create(
            code="131016", prefecture="東京都", city="千代田区", city_kana="チヨダク"
        )
        self.sapporo = Municipality.objects.create(
            code="011002", prefecture="北海道", city="札幌市", city_kana="サッポロシ"
        )
        self.integration_a = Integration.objects.create(
            municipality=self.chiyoda,
            vendor=self.vendor_a,
            business_system="子ども医療費助成",
            dropbox_name="131016",
        )
        self.integration_b = Integration.objects.create(
            municipality=self.sapporo,
            vendor=self.vendor_b,
            business_system="重度障害者医療費助成",
            dropbox_name="011002",
        )
        # Municipal staff: chiyo of 千代田区 (integration A), sato of 札幌市 (integration B).
        self.chiyo = self._user("chiyo", groups["municipality"], municipality=self.chiyoda)
        self.sato = self._user("sato", groups["municipality"], municipality=self.sapporo)

    @staticmethod
    def _user(username, group, **fields):
        user = User.objects.create_user(username=username, password="x-Secret-42", **fields)
        if group is not None:
            user.groups.add(group)
        return user


@pytest.fixture
def cast(db):
    return Cast()


@pytest.fixture
def client_for(client):
    """client_for(user) → a test client signed in as that user."""

    def login(user):
        client.force_login(user)
        return client

    return login
