import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from onboarding.services import municipalities_import


class Command(BaseCommand):
    help = "Loads the national list of local government codes from a CSV (UTF-8 or CP932)."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="CSV with columns code,prefecture,city,prefecture_kana,city_kana"
        )

    def handle(self, *args, file: str, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"ファイルがありません: {path}")
        try:
            result = municipalities_import(data=path.read_bytes())
        except UnicodeDecodeError as exc:
            raise CommandError(f"文字コードを判別できません（UTF-8 または CP932）: {exc}") from exc
        for message in result.rejected:
            self.stderr.write(message)
        self.stdout.write(
            f"created {result.created}, updated {result.updated}, "
            f"unchanged {result.unchanged}, rejected {len(result.rejected)}"
        )
        if result.rejected:
            sys.exit(1)
