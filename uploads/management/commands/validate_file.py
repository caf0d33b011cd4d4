"""``python manage.py validate_file PATH``: validate one file and print its report (§8).

Exit status: 0 accepted, 1 rejected for row issues, 2 rejected at file level, 3 could not run
(bad option, missing file: a message on stderr and no report). ``--insurer-check warning``
lowers 公費負担者番号 and 受給者番号 check-digit failures to warnings (for the 法別番号 or
公費負担者番号 in ``--insurer-check-programs``, or all).
"""

import datetime as dt
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from uploads.lib.validation import InMemoryStore, summary_text, validate_file

COULD_NOT_RUN = 3


class _Parser(CommandParser):
    """argparse exits with 2 on a usage error; 2 means "rejected at file level" here."""

    def error(self, message):
        if self.called_from_command_line:
            self.print_usage(sys.stderr)
            self.exit(COULD_NOT_RUN, f"{self.prog}: error: {message}\n")
        raise CommandError(f"Error: {message}", returncode=COULD_NOT_RUN)


class Command(BaseCommand):
    help = "Validate a PMH 医療費助成 file (CSV, JSON or JSON Lines) and print its report."
    # Needs neither the database nor a complete deployment configuration; a failed system check
    # would otherwise exit with 1, which here means "rejected for row issues".
    requires_system_checks = []

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.__class__ = _Parser
        return parser

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--mode", choices=["full", "diff"], default="full")
        parser.add_argument("--municipality", help="全国地方公共団体コード (6 digits)")
        parser.add_argument("--against", type=Path, help="the previous full file to compare with")
        parser.add_argument("--programs", default="", help="公費負担者番号, comma-separated")
        parser.add_argument("--mynumber-check", choices=["error", "warning"], default="error")
        parser.add_argument(
            "--insurer-check",
            choices=["error", "warning"],
            default="error",
            help="公費負担者番号・受給者番号 check-digit failures: error or warning",
        )
        parser.add_argument(
            "--insurer-check-programs",
            default="",
            help="with --insurer-check warning: only for these 法別番号 (2 digits) or "
            "公費負担者番号 (8 digits), comma-separated (default: all)",
        )
        parser.add_argument("--today", help="YYYY-MM-DD: the date 'future' is measured against")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **options):
        common = self._common(options)
        for path in (options["path"], options["against"]):
            if path is not None and not path.is_file():
                raise CommandError(f"ファイルがありません: {path}", returncode=COULD_NOT_RUN)
        store = self._against(options["against"], common) if options["against"] else None
        try:
            report = validate_file(options["path"], mode=options["mode"], store=store, **common)
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc), returncode=COULD_NOT_RUN) from exc
        if options["json"]:
            self.stdout.write(report.to_json(indent=2))
        else:
            self.stdout.write(summary_text(report))
        self.stdout.flush()
        if report.exit_code:
            sys.exit(report.exit_code)

    def _common(self, options) -> dict:
        today = None
        if options["today"]:
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError(
                    f"--today は YYYY-MM-DD です: {options['today']}", returncode=COULD_NOT_RUN
                ) from None
        programs = tuple(p.strip() for p in options["programs"].split(",") if p.strip())
        lowered = tuple(
            p.strip() for p in options["insurer_check_programs"].split(",") if p.strip()
        )
        if lowered and options["insurer_check"] != "warning":
            raise CommandError(
                "--insurer-check-programs は --insurer-check warning と一緒に指定してください",
                returncode=COULD_NOT_RUN,
            )
        return {
            "municipality_code": options["municipality"],
            "programs": programs,
            "mynumber_check": options["mynumber_check"],
            "insurer_check": options["insurer_check"],
            "insurer_check_programs": lowered,
            "today": today,
            "max_issues": settings.PMH_REPORT_MAX_ISSUES,
            "max_bytes": settings.PMH_MAX_UPLOAD_MB * 1024 * 1024,
        }

    def _against(self, path: Path, common: dict) -> InMemoryStore:
        """The previous full file as a store: its records' keys and fingerprints."""
        store = InMemoryStore()
        try:
            previous = validate_file(
                path, mode="full", on_record=lambda r: store.put(r.key, r.fingerprint), **common
            )
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc), returncode=COULD_NOT_RUN) from exc
        if not previous.accepted:
            raise CommandError(
                "比較対象のファイルが受理されない内容のため比較できません"
                f"（エラー {previous.errors} 件）: {path}",
                returncode=COULD_NOT_RUN,
            )
        return store
