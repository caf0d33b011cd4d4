"""A vendor's client for PMH's registration API, written only from the console's OpenAPI document.

Standard library only and nothing of the project: it learns the operations, their paths, the
header that names the integration and the example bodies from `/api/v1/openapi.json`, as a
vendor's own tool would. It needs a base URL and a token.
"""

from __future__ import annotations

import gzip
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

DOCUMENT = "/api/v1/openapi.json"
WORKING = ("received", "queued", "validating")


class ApiError(Exception):
    def __init__(self, status: int, body: dict):
        super().__init__(f"{status}: {body}")
        self.status, self.body = status, body


class RegistrationClient:
    def __init__(self, base_url: str, token: str):
        self.base = base_url.rstrip("/")
        self.token = token
        self.document = self._send("GET", self.base + DOCUMENT, authorise=False)
        self.operations = {
            op["operationId"]: (method.upper(), path, op)
            for path, item in self.document["paths"].items()
            for method, op in item.items()
        }

    def example(self, operation_id: str) -> list:
        content = self._operation(operation_id)["requestBody"]["content"]["application/json"]
        return next(iter(content["examples"].values()))["value"]

    def integration_header(self, operation_id: str) -> str:
        names = [
            p["name"]
            for p in self._operation(operation_id).get("parameters", [])
            if p["in"] == "header" and "integration" in p["name"].lower()
        ]
        return names[0]

    def register(
        self,
        operation_id: str,
        records: list,
        *,
        integration: str | None = None,
        idempotency_key: str | None = None,
        compress: bool = False,
    ) -> dict:
        body = json.dumps(records, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=UTF-8"}
        if integration:
            headers[self.integration_header(operation_id)] = integration
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if compress:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        return self.send_raw(operation_id, body, headers)

    def send_raw(self, operation_id: str, body: bytes, headers: dict) -> dict:
        method, path, _ = self.operations[operation_id]
        return self._send(method, self.base + path, body, headers)

    def task(self, status_url: str) -> dict:
        return self._send("GET", status_url)

    def task_by_id(self, task_id: str) -> dict:
        method, path, _ = self.operations["getRegistrationTask"]
        name = path[path.index("{") + 1 : path.index("}")]
        url = self.base + path.replace("{" + name + "}", urllib.parse.quote(task_id))
        return self._send(method, url)

    def wait(self, status_url: str, between: Callable[[], None] = lambda: time.sleep(2)) -> dict:
        for _ in range(100):
            state = self.task(status_url)
            if state["status"] not in WORKING:
                return state
            between()
        raise TimeoutError(status_url)

    def error_keys(self) -> set[str]:
        """The keys every error body has, from the document's error schema."""
        schemas = self.document["components"]["schemas"]
        error = schemas["ErrorOut"]["properties"]["error"]
        body = schemas[error["$ref"].rsplit("/", 1)[1]] if "$ref" in error else error
        return set(body["required"])

    def _operation(self, operation_id: str) -> dict:
        return self.operations[operation_id][2]

    def _send(self, method, url, body=None, headers=None, authorise=True) -> dict:
        request = urllib.request.Request(url, data=body, method=method)  # noqa: S310
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        if authorise:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise ApiError(exc.code, json.loads(exc.read())) from None
