#!/usr/bin/env python3
"""PMH batch uploader: sends the files a municipal system writes to a folder to the PMH console.

Standard library only (Python 3.8+), for a locked-down Windows file server.

    python pmh_uploader.py --config pmh_uploader.ini [--once] [--pmh-json]

With --pmh-json each file is a JSON array of records in PMH's registration shape and is sent,
unchanged, as the body of the console's PMH-compatible registration API (the full registration,
or the differential-history one for mode diff or a file named *.diff.json), exactly as a system
sending to PMH's own API would; without it files go to the console's file API.

Configuration (INI, section [pmh]):
    url             the console's base URL, e.g. https://pmh-console.example.lg.jp
    token           the API token (or token_file: a file holding it)
    watch_dir       the folder the system writes CSV/JSON files to
    integration     the integration's folder name (dropbox_name), e.g. 131016
    mode            full or diff (optional: the integration's mode applies)
    stable_seconds  a file must be unchanged this long before it is sent (default 10)
    ca_file         CA bundle for the console's certificate (optional)
    proxy           http://proxy.example:8080 (optional; "none" ignores system proxies)
    interval        seconds between scans in loop mode (default 60)
    result_timeout  seconds to wait for a file's result (default 600)
    retries         attempts per request on network errors, 429 and 5xx (default 6)
    backoff_seconds first wait between attempts, doubled each time (default 2)
    max_retry_wait  longest wait between attempts, also for Retry-After (default 300)
    log_file        default: watch_dir/pmh_uploader.log (rotated at 1 MB, 5 kept)
    pmh_api_path    path of the PMH-compatible API under url (default /api/v1/pmh; --pmh-json)

Each sent file moves to watch_dir/sent/, a file that could not be sent to watch_dir/failed/;
the console's report is written beside it as NAME.result.json. Exit status: 0 when every
file was sent (or there was none), 1 when some failed, 2 for a configuration error.
"""

import argparse
import configparser
import hashlib
import json
import logging
import logging.handlers
import os
import random
import shutil
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

__version__ = "1.0"
IGNORED_SUFFIXES = (".tmp", ".part", "~", ".result.json", ".log")
CHUNK = 1024 * 1024
log = logging.getLogger("pmh_uploader")


class ConfigError(Exception):
    pass


class SendError(Exception):
    """The file could not be sent; `retry` says whether a later attempt may succeed."""

    def __init__(self, message, retry=False, retry_after=None):
        super().__init__(message)
        self.retry = retry
        self.retry_after = retry_after


class Config:
    def __init__(self, path):
        parser = configparser.ConfigParser(interpolation=None)
        try:
            with open(path, encoding="utf-8-sig") as fh:
                parser.read_file(fh)
        except OSError as exc:
            raise ConfigError("cannot read the configuration file: %s" % exc) from None
        except configparser.Error as exc:
            raise ConfigError("the configuration file is not valid INI: %s" % exc) from None
        if not parser.has_section("pmh"):
            raise ConfigError("the configuration file has no [pmh] section")
        section = parser["pmh"]
        base = os.path.dirname(os.path.abspath(path))
        self.url = self._required(section, "url").rstrip("/")
        if urllib.parse.urlsplit(self.url).scheme not in ("http", "https"):
            raise ConfigError("url must start with https:// (or http:// on a test network)")
        self.token = self._token(section, base)
        self.watch_dir = os.path.join(base, self._required(section, "watch_dir"))
        if not os.path.isdir(self.watch_dir):
            raise ConfigError("watch_dir does not exist: %s" % self.watch_dir)
        self.integration = self._required(section, "integration")
        self.mode = section.get("mode", "").strip().lower()
        if self.mode not in ("", "full", "diff"):
            raise ConfigError("mode must be full or diff")
        self.stable_seconds = self._number(section, "stable_seconds", 10)
        self.interval = self._number(section, "interval", 60)
        self.result_timeout = self._number(section, "result_timeout", 600)
        self.retries = int(self._number(section, "retries", 6))
        self.backoff = self._number(section, "backoff_seconds", 2)
        self.max_wait = self._number(section, "max_retry_wait", 300)
        ca_file = section.get("ca_file", "").strip()
        self.ca_file = os.path.join(base, ca_file) if ca_file else None
        if self.ca_file and not os.path.isfile(self.ca_file):
            raise ConfigError("ca_file does not exist: %s" % self.ca_file)
        self.proxy = section.get("proxy", "").strip()
        self.pmh_api_path = "/" + section.get("pmh_api_path", "/api/v1/pmh").strip().strip("/")
        log_file = section.get("log_file", "").strip()
        self.log_file = (
            os.path.join(base, log_file)
            if log_file
            else os.path.join(self.watch_dir, "pmh_uploader.log")
        )

    @staticmethod
    def _required(section, name):
        value = section.get(name, "").strip()
        if not value:
            raise ConfigError("%s is missing in [pmh]" % name)
        return value

    @staticmethod
    def _number(section, name, default):
        raw = section.get(name, "").strip()
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError("%s must be a number" % name) from None
        if value < 0:
            raise ConfigError("%s must not be negative" % name)
        return value

    def _token(self, section, base):
        token = section.get("token", "").strip()
        token_file = section.get("token_file", "").strip()
        if token_file:
            try:
                with open(os.path.join(base, token_file), encoding="utf-8-sig") as fh:
                    token = fh.read().strip()
            except OSError as exc:
                raise ConfigError("cannot read token_file: %s" % exc) from None
        if not token:
            raise ConfigError("token or token_file is missing in [pmh]")
        return token


class MultipartBody:
    """A multipart/form-data body streamed from disk, with its exact length."""

    def __init__(self, fields, file_field, path, filename):
        self.boundary = "pmh-" + uuid.uuid4().hex
        quoted = filename.replace("\\", "_").replace('"', "_").replace("\r", "_").replace("\n", "_")
        head = []
        for name, value in fields.items():
            head.append(
                '--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                % (self.boundary, name, value)
            )
        head.append(
            '--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"; '
            "filename*=UTF-8''%s\r\nContent-Type: application/octet-stream\r\n\r\n"
            % (self.boundary, file_field, quoted, urllib.parse.quote(filename))
        )
        self.head = "".join(head).encode("utf-8")
        self.tail = ("\r\n--%s--\r\n" % self.boundary).encode("ascii")
        self.path = path
        self.length = len(self.head) + os.path.getsize(path) + len(self.tail)

    @property
    def content_type(self):
        return "multipart/form-data; boundary=" + self.boundary

    def __iter__(self):
        yield self.head
        with open(self.path, "rb") as fh:
            while True:
                chunk = fh.read(CHUNK)
                if not chunk:
                    break
                yield chunk
        yield self.tail


class FileBody:
    """A file sent as the whole request body, streamed from disk, with its exact length."""

    def __init__(self, path, content_type):
        self.path = path
        self.content_type = content_type
        self.length = os.path.getsize(path)

    def __iter__(self):
        with open(self.path, "rb") as fh:
            while True:
                chunk = fh.read(CHUNK)
                if not chunk:
                    break
                yield chunk


class Client:
    def __init__(self, config):
        self.config = config
        handlers = []
        if config.proxy.lower() == "none":
            handlers.append(urllib.request.ProxyHandler({}))
        elif config.proxy:
            handlers.append(
                urllib.request.ProxyHandler({"http": config.proxy, "https": config.proxy})
            )
        context = ssl.create_default_context(cafile=config.ca_file)
        handlers.append(urllib.request.HTTPSHandler(context=context))
        self.opener = urllib.request.build_opener(*handlers)

    def request(self, method, path, body=None, headers=None, timeout=300):
        """One request with retries on network errors, 429 and 5xx; returns (status, json)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._once(method, path, body, headers or {}, timeout)
            except SendError as exc:
                if not exc.retry or attempt >= self.config.retries:
                    raise
                delay = exc.retry_after
                if delay is None:
                    delay = self.config.backoff * (2 ** (attempt - 1)) * (0.5 + random.random())  # noqa: S311
                log.warning("%s; retrying in %.1f s (attempt %d)", exc, delay, attempt + 1)
                time.sleep(min(delay, self.config.max_wait))

    def _once(self, method, path, body, headers, timeout):
        data = body
        all_headers = {
            "Authorization": "Bearer " + self.config.token,
            "Accept": "application/json",
            "User-Agent": "pmh-uploader/" + __version__,
        }
        all_headers.update(headers)
        if isinstance(body, (MultipartBody, FileBody)):
            all_headers["Content-Type"] = body.content_type
            all_headers["Content-Length"] = str(body.length)
            data = iter(body)
        request = urllib.request.Request(
            self.config.url + path, data=data, method=method, headers=all_headers
        )
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, _json(response.read())
        except urllib.error.HTTPError as exc:
            payload = _json(exc.read())
            message = "HTTP %d %s" % (exc.code, _error_text(payload))
            if exc.code == 429 or exc.code >= 500:
                raise SendError(message, retry=True, retry_after=_retry_after(exc)) from None
            return exc.code, payload
        except (urllib.error.URLError, OSError) as exc:
            raise SendError("network error: %s" % getattr(exc, "reason", exc), retry=True) from None


def _json(raw):
    try:
        return json.loads(raw.decode("utf-8")) if raw else {}
    except (ValueError, UnicodeDecodeError):
        return {"raw": raw[:200].decode("utf-8", "replace")}


def _error_text(payload):
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        return "%s: %s" % (error.get("code"), error.get("message"))
    return ""


def _retry_after(exc):
    value = exc.headers.get("Retry-After") if exc.headers else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def candidates(watch_dir, stable_seconds, now=None):
    """Regular files of watch_dir unchanged for stable_seconds, oldest first."""
    now = time.time() if now is None else now
    found = []
    for entry in os.scandir(watch_dir):
        name = entry.name
        if name.startswith(".") or name.lower().endswith(IGNORED_SUFFIXES):
            continue
        if not entry.is_file(follow_symlinks=False):
            continue
        stat = entry.stat(follow_symlinks=False)
        if now - stat.st_mtime < stable_seconds:
            continue
        found.append((stat.st_mtime, entry.path))
    return [path for _, path in sorted(found)]


def still_same(path, size, mtime):
    try:
        stat = os.stat(path)
    except OSError:
        return False
    return stat.st_size == size and stat.st_mtime == mtime


class Uploader:
    def __init__(self, config, client=None, pmh_json=False):
        self.config = config
        self.pmh_json = pmh_json
        self.client = client or Client(config)
        self.sent_dir = os.path.join(config.watch_dir, "sent")
        self.failed_dir = os.path.join(config.watch_dir, "failed")
        self.state_path = os.path.join(config.watch_dir, ".pmh_uploader_sent.json")

    def run_once(self):
        """Send every stable file once; returns (sent, failed)."""
        os.makedirs(self.sent_dir, exist_ok=True)
        os.makedirs(self.failed_dir, exist_ok=True)
        sent = failed = 0
        for path in candidates(self.config.watch_dir, self.config.stable_seconds):
            if self.send(path):
                sent += 1
            else:
                failed += 1
        return sent, failed

    def send(self, path):
        name = os.path.basename(path)
        stat = os.stat(path)
        digest = sha256_of(path)
        if not still_same(path, stat.st_size, stat.st_mtime):
            log.info("%s changed while being read; it will be sent on a later scan", name)
            return True
        known = self._state().get(digest)
        if known:
            log.info(
                "%s has the same content as submission %s sent before; not sent again", name, known
            )
            self._finish(path, self.sent_dir, {"id": known, "duplicate": True, "sha256": digest})
            return True
        # The key is derived from the content, so a retried request never makes a second
        # submission, even when the first answer was lost on the way.
        key = "pmh-" + digest[:48]
        try:
            status, body = self._post(path, name, key)
        except SendError as exc:
            log.error("%s could not be sent: %s", name, exc)
            self._finish(path, self.failed_dir, {"error": str(exc)})
            return False
        if status != 202:
            log.error("%s was refused: HTTP %d %s", name, status, _error_text(body))
            self._finish(path, self.failed_dir, {"status": status, "response": body})
            return False
        submission = body.get("taskId") if self.pmh_json else body.get("id")
        duplicate_of = body.get("duplicateOf") or body.get("duplicate_of")
        self._remember(digest, submission)
        log.info(
            "%s sent as submission %s%s",
            name,
            submission,
            " (duplicate of %s)" % duplicate_of if duplicate_of else "",
        )
        result = self._task_result(submission, body) if self.pmh_json else None
        self._finish(path, self.sent_dir, result or self._result(submission, body))
        return True

    def _post(self, path, name, key):
        headers = {"Idempotency-Key": key}
        if self.pmh_json:
            headers["X-PMH-Integration"] = self.config.integration
            operation = "differential-history-registration-tasks"
            if self._pmh_mode(name) == "full":
                operation = "registration-tasks"
            return self.client.request(
                "POST",
                "%s/%s" % (self.config.pmh_api_path, operation),
                FileBody(path, "application/json; charset=UTF-8"),
                headers=headers,
            )
        fields = {"integration": self.config.integration}
        if self.config.mode:
            fields["mode"] = self.config.mode
        return self.client.request(
            "POST", "/api/v1/submissions", MultipartBody(fields, "file", path, name), headers
        )

    def _pmh_mode(self, name):
        """The configured mode wins over the file name (daily.diff.json); full otherwise."""
        if self.config.mode:
            return self.config.mode
        return "diff" if name.lower().endswith(".diff.json") else "full"

    def _task_result(self, task, accepted_body):
        """PMH-compatible API: poll the task until its report (or a final status) is there."""
        deadline = time.monotonic() + self.config.result_timeout
        delay = 1.0
        state = accepted_body
        path = "%s/registration-tasks/%s" % (self.config.pmh_api_path, task)
        while True:
            try:
                code, state = self.client.request("GET", path)
            except SendError as exc:
                return {"taskId": task, "status": "unknown", "error": str(exc)}
            if code == 200 and state.get("report") is not None:
                return state["report"]
            if state.get("status") == "failed" or time.monotonic() >= deadline:
                return state
            time.sleep(delay)
            delay = min(delay * 1.5, 15)

    def _result(self, submission, accepted_body):
        """Wait for the report; a result held for review is written as its status."""
        deadline = time.monotonic() + self.config.result_timeout
        delay = 1.0
        status = accepted_body
        while True:
            try:
                code, report = self.client.request(
                    "GET", "/api/v1/submissions/%s/report" % submission
                )
                if code == 200:
                    return report
                code, status = self.client.request("GET", "/api/v1/submissions/%s" % submission)
            except SendError as exc:
                return {"id": submission, "status": "unknown", "error": str(exc)}
            if status.get("status") in ("failed",) or time.monotonic() >= deadline:
                return status
            time.sleep(delay)
            delay = min(delay * 1.5, 15)

    def _finish(self, path, folder, result):
        name = os.path.basename(path)
        target = os.path.join(folder, name)
        if os.path.exists(target):
            stem, ext = os.path.splitext(name)
            target = os.path.join(folder, "%s.%s%s" % (stem, time.strftime("%Y%m%d%H%M%S"), ext))
        shutil.move(path, target)
        tmp = target + ".result.json.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(result, fh, ensure_ascii=False, indent=2)
        os.replace(tmp, target + ".result.json")

    def _state(self):
        try:
            with open(self.state_path, encoding="utf-8") as fh:
                return json.load(fh)
        except (OSError, ValueError):
            return {}

    def _remember(self, digest, submission):
        state = self._state()
        state[digest] = submission
        tmp = self.state_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(state, fh)
        os.replace(tmp, self.state_path)


def setup_logging(config, verbose=False):
    handler = logging.handlers.RotatingFileHandler(
        config.log_file, maxBytes=1024 * 1024, backupCount=5, encoding="utf-8"
    )
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    handler.setFormatter(formatter)
    console = logging.StreamHandler()
    console.setFormatter(formatter)
    log.handlers[:] = [handler, console]
    log.setLevel(logging.DEBUG if verbose else logging.INFO)


def main(argv=None):
    parser = argparse.ArgumentParser(description="PMH batch uploader")
    parser.add_argument("--config", required=True, help="INI file with a [pmh] section")
    parser.add_argument("--once", action="store_true", help="scan once and exit (Task Scheduler)")
    parser.add_argument(
        "--pmh-json",
        action="store_true",
        help="send each file (a JSON array of records) to the PMH-compatible registration API",
    )
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--version", action="version", version=__version__)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    try:
        config = Config(args.config)
    except ConfigError as exc:
        sys.stderr.write("pmh_uploader: %s\n" % exc)
        return 2
    setup_logging(config, args.verbose)
    uploader = Uploader(config, pmh_json=args.pmh_json)
    while True:
        sent, failed = uploader.run_once()
        if sent or failed:
            log.info("scan done: %d sent, %d failed", sent, failed)
        if args.once:
            return 1 if failed else 0
        time.sleep(config.interval)


if __name__ == "__main__":
    sys.exit(main())
