import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connectivity.lib.probe import (
    KINDS,
    ProbeRun,
    ProbeSpec,
    default_kind,
    parse_resolver,
    parse_target,
    run_probe,
    ssl_context,
)

USAGE_ERROR = 2

ERROR_TEXT = {
    "dns": "名前解決（DNS）に失敗しました",
    "refused": "接続を拒否されました（ポートが閉じているか、途中の機器が拒否しています）",
    "timeout": "時間内に応答がありませんでした",
    "tls_handshake": "TLS ハンドシェイクに失敗しました",
    "cert_expired": "サーバー証明書の有効期限が切れています",
    "cert_hostname": "サーバー証明書のホスト名が接続先と一致しません",
    "cert_untrusted": "サーバー証明書を信頼できません（CA 証明書の指定が必要な場合があります）",
    "http_status": "想定外の HTTP ステータスが返りました",
    "keyword": "応答本文に期待するキーワードがありません",
    "other": "想定外のエラーが発生しました",
}
PHASE_TEXT = {
    "dns": "名前解決",
    "connect": "TCP 接続",
    "tls": "TLS ハンドシェイク",
    "http": "HTTP 応答待ち",
    "body": "応答本文の確認",
}
TIMING_TEXT = {
    "dns_ms": "DNS",
    "connect_ms": "接続",
    "tls_ms": "TLS",
    "first_byte_ms": "最初の応答",
    "total_ms": "合計",
}


def _usage_error(parser: CommandParser, message: str) -> None:
    # The contract says 2 for every usage error, also when called through call_command().
    if parser.called_from_command_line:
        parser.print_usage(sys.stderr)
        parser.exit(USAGE_ERROR, f"{parser.prog}: error: {message}\n")
    raise CommandError(f"Error: {message}", returncode=USAGE_ERROR)


def positive_seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = "Runs reachability checks: the due targets, one target, or one ad-hoc URL."
    # An ad-hoc check must work on a half-configured host too, and a failed system check would
    # exit 1, which callers read as "the check failed"; stored targets run the checks below.
    requires_system_checks = []

    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.error = lambda message: _usage_error(parser, message)
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--due", action="store_true", help="Run every target that is due.")
        which.add_argument("--target", type=int, metavar="ID", help="Run one stored target.")
        which.add_argument("--url", help="Check this URL or host:port without storing the run.")
        parser.add_argument("--kind", choices=KINDS, help="Default: http for URLs, else tcp.")
        parser.add_argument("--timeout", type=positive_seconds, default=10.0, metavar="S")
        parser.add_argument("--ca-file", metavar="PEM", help="Extra CA certificates to trust.")
        parser.add_argument("--resolver", metavar="HOST[:PORT]", help="DNS server to ask.")
        parser.add_argument("--json", action="store_true", help="Print the run as JSON.")

    def handle(self, *args, **options) -> None:
        if options["url"] is None:
            self._run_stored(options["target"])
            return
        run = run_probe(self._spec(options))
        self.stdout.write(run.to_json() if options["json"] else summary(run))
        if not run.ok:
            sys.exit(1)

    def _spec(self, options: dict) -> ProbeSpec:
        url = options["url"]
        kind = options["kind"] or default_kind(url)
        try:
            parse_target(url, kind)
            if options["resolver"]:
                parse_resolver(options["resolver"])
            ca_pem = _read_ca_file(options["ca_file"]) if options["ca_file"] else None
        except ValueError as exc:
            raise CommandError(str(exc), returncode=USAGE_ERROR) from None
        return ProbeSpec(
            url,
            kind=kind,
            timeout=options["timeout"],
            ca_pem=ca_pem,
            resolver=options["resolver"],
        )

    def _run_stored(self, target_id: int | None) -> None:
        self.check(tags=["models", "database"])
        from connectivity.models import Probe
        from connectivity.services import run_due, run_target

        if target_id is None:
            sweep = run_due()
            if sweep is None:
                self.stdout.write("実行予定の送信先はありませんでした。")
                return
            line = f"{sweep.targets} 件の送信先を確認し、{sweep.failures} 件が失敗しました。"
            if sweep.guard_tripped:
                line += (
                    f"ネットワーク保護が作動したため失敗は集計していません: {sweep.guard_reason}"
                )
            self.stdout.write(line)
            return
        try:
            result = run_target(target_id)
        except Probe.DoesNotExist:
            raise CommandError(f"no target with id {target_id}", returncode=USAGE_ERROR) from None
        verdict = "合格" if result.ok else f"失敗（{ERROR_TEXT.get(result.error_class, '')}）"
        self.stdout.write(f"送信先 {target_id}「{result.probe.name}」: {verdict}。{result.message}")
        if not result.ok:
            sys.exit(1)


def _read_ca_file(path: str) -> str:
    try:
        pem = Path(path).read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise ValueError(f"cannot read CA file {path}: {exc.strerror}") from None
    ssl_context(pem)  # raises ValueError when the file holds no usable certificate
    return pem


def summary(run: ProbeRun) -> str:
    """One Japanese paragraph for a person at a terminal."""
    if run.ok:
        parts = [f"疎通試験に合格しました: {run.url}（{run.kind}）。"]
    else:
        phase = PHASE_TEXT.get(run.failed_phase, "開始前")
        error = ERROR_TEXT.get(run.error_class, run.error_class)
        parts = [f"疎通試験に失敗しました: {run.url}（{run.kind}）。{phase}の段階で{error}。"]
    details = []
    if run.address:
        details.append(f"接続先アドレス {run.address}")
    if run.http_status is not None:
        details.append(f"HTTP ステータス {run.http_status}")
    if run.tls_version:
        details.append(f"TLS バージョン {run.tls_version}")
    if run.cert_subject:
        details.append(f"証明書 {run.cert_subject}（有効期限まで {run.cert_days_left} 日）")
    if details:
        parts.append("、".join(details) + "。")
    timings = [
        f"{label} {getattr(run, field)} ms"
        for field, label in TIMING_TEXT.items()
        if getattr(run, field) is not None
    ]
    parts.append("所要時間: " + "、".join(timings) + "。")
    parts.append(f"詳細: {run.message}")
    return "".join(parts)
