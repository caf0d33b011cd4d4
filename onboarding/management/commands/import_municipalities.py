import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from onboarding.importer import UnreadableFile
from onboarding.services import municipalities_import


class Command(BaseCommand):
    help = (
        "Loads the national list of local government codes: the ministry's XLSX as published "
        "or a CSV (UTF-8 or CP932)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            help="XLSX (団体コード, 都道府県名（漢字）, …) or CSV (code,prefecture,city,…)",
        )

    def handle(self, *args, file: str, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"ファイルがありません: {path}")
        try:
            result = municipalities_import(data=path.read_bytes())
        except UnreadableFile as exc:
            raise CommandError(
                f"XLSX としても CSV（UTF-8 または CP932）としても読めません: {exc}"
            ) from exc
        for message in result.rejected:
            self.stderr.write(message)
        self.stdout.write(
            f"created {result.created}, updated {result.updated}, "
            f"unchanged {result.unchanged}, rejected {len(result.rejected)}"
        )
        if result.rejected:
            sys.exit(1)
