"""The consistency rules of console.md §1, in one place.

`choice_problems` takes the chosen values (empty string = not decided yet) and returns, per
field, the sentences that explain what breaks a rule. Forms show them beside the field; the
`decided` gate refuses while any is left.
"""

from django.utils.translation import gettext_lazy as _

from onboarding.models import DataFormat, ReworkMethod, Route, TestAccess

CHOICE_FIELDS = ("rework_method", "route", "data_mode", "test_access", "data_format")

MANUAL_METHODS = {ReworkMethod.MANUAL, ReworkMethod.MANUAL_EDIT}
AUTOMATIC_METHODS = {ReworkMethod.API, ReworkMethod.BATCH}

# The seed deck's trade-offs (○ good, △ costs more, – not applicable), shown beside the choices.
TRADE_OFFS = {
    "rework_method": {
        "api": ("△", "○", "○"),
        "batch": ("○", "○", "△"),
        "manual": ("○", "△", "○"),
        "manual_edit": ("○", "△", "○"),
    },
    "route": {"lgwan": ("○", "○", "–"), "vpn": ("△", "○", "–"), "usb": ("○", "△", "–")},
    "data_mode": {"diff": ("△", "–", "○"), "full": ("○", "–", "△")},
}
RECOMMENDED = {"rework_method": "api", "route": "lgwan", "data_mode": "diff"}


def choice_problems(values: dict[str, str]) -> dict[str, list[str]]:
    method, route = values.get("rework_method", ""), values.get("route", "")
    access, fmt = values.get("test_access", ""), values.get("data_format", "")
    problems: dict[str, list[str]] = {}

    def add(field: str, message) -> None:
        problems.setdefault(field, []).append(str(message))

    if route == Route.USB and method and method not in MANUAL_METHODS:
        add(
            "route",
            _("USB media carries only files uploaded by hand: choose a manual method."),
        )
    if method in AUTOMATIC_METHODS and route and route not in (Route.LGWAN, Route.VPN):
        add(
            "rework_method",
            _("Automatic sending (Web API or batch) needs a network route: LGWAN or VPN."),
        )
    if method in MANUAL_METHODS and fmt and fmt != DataFormat.CSV:
        add("data_format", _("Files uploaded by hand must be CSV."))
    if access == TestAccess.LGWAN and route and route != Route.LGWAN:
        add("test_access", _("Test access over LGWAN needs the LGWAN route."))
    return problems


def missing_choices(values: dict[str, str]) -> list[str]:
    return [field for field in CHOICE_FIELDS if not values.get(field)]


def integration_values(integration) -> dict[str, str]:
    return {field: getattr(integration, field) for field in CHOICE_FIELDS}
