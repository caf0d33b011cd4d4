import secrets
import time

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from console.roles import ensure_groups
from dashboard import demo, demo_national


class Command(BaseCommand):
    help = "Creates the demo municipalities, vendors, integrations and users (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--national",
            action="store_true",
            help="Also build the national picture: every prefecture, ~5,000 integrations.",
        )

    def handle(self, *args, **options):
        password = settings.PMH_DEMO_PASSWORD
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        ensure_groups()
        with transaction.atomic():
            summary = demo.seed(password=password, groups={g.name: g for g in Group.objects.all()})
        started = time.monotonic()
        demo.advance()
        self.stdout.write(
            f"demo data: {summary['municipalities']} municipalities, "
            f"{summary['integrations']} integrations, users {', '.join(summary['users'])} "
            f"({time.monotonic() - started:.1f} s for the history)"
        )
        if options["national"]:
            started = time.monotonic()
            made = demo_national.seed_national()
            self.stdout.write(
                f"national picture: {made['municipalities']} municipalities and "
                f"{made['integrations']} integrations added "
                f"({time.monotonic() - started:.1f} s)"
            )
        for line in demo.logins():
            self.stdout.write(f"login: {line}")
        if generated:
            self.stdout.write(f"demo password (generated): {password}")
