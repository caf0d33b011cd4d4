"""Evidence that a stage gate asks of the apps above the registry (console.md §2).

`onboarding/` imports no other app: an app that can show a gate holds registers its provider
here from its `AppConfig.ready()`. A provider is called as `provider(integration=…, now=…)` and
answers with an object that has `ok` (bool) and `reasons` (sentences for people), and may have
`notes` (facts for people shown whether the gate holds or not, e.g. whether TLS was used).

    NETWORK  the `network_ok` gate   (connectivity: inbound check and outbound targets)
    TESTS    the `test_passed` gate  (uploads: accepted test submissions)
    HELD     not a gate: whether a result of the integration waits in review (uploads); a
             vendor is then not shown the `test_passed` gate, which could tell the held verdict
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

NETWORK = "network"
TESTS = "tests"
HELD = "held"

Provider = Callable[..., Any]
_PROVIDERS: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    if name not in (NETWORK, TESTS, HELD):
        raise ValueError(f"No stage gate asks for evidence named {name!r}")
    _PROVIDERS[name] = provider


def ask(name: str, *, integration, now: datetime) -> tuple[bool, list, list]:
    """(ok, reasons, notes) from the provider registered under `name`."""
    try:
        provider = _PROVIDERS[name]
    except KeyError:
        raise LookupError(f"No provider of {name!r} evidence is registered") from None
    found = provider(integration=integration, now=now)
    return found.ok, list(found.reasons), list(getattr(found, "notes", ()))
