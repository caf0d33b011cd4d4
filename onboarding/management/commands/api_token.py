from django.core.management.base import BaseCommand, CommandError

from onboarding.models import Vendor
from onboarding.tokens import api_token_issue


class Command(BaseCommand):
    help = "Issues an API token for a vendor and prints it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("vendor", help="the vendor's slug, e.g. vendor-a")
        parser.add_argument("--name", default="cli", help="a name to tell the token apart")

    def handle(self, *args, vendor: str, name: str, **options):
        try:
            owner = Vendor.objects.get(slug=vendor)
        except Vendor.DoesNotExist:
            raise CommandError(f"ベンダー「{vendor}」は登録されていません") from None
        _, raw = api_token_issue(vendor=owner, name=name)
        self.stdout.write(raw)
