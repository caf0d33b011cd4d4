"""What the next gate of an integration needs, said for the municipality's staff (issue 23).

The gate reasons (`services.gate`) say what is missing in the console's terms; these sentences
say what a person at the municipality does about it, by stage, route and rework method.
"""

from django.utils.translation import gettext as _

from onboarding.models import ReworkMethod, Route, Stage, TestAccess


def _network_steps(integration) -> list[str]:
    steps = []
    if integration.route == Route.LGWAN:
        steps.append(
            _(
                "Ask the staff who run your LGWAN connection to change the network setting so "
                "that this system's server may reach PMH (route 1: the LGWAN setting change)."
            )
        )
    elif integration.route == Route.VPN:
        steps.append(_("Ask your vendor to set up the VPN between this system's server and PMH."))
    steps.append(
        _(
            "Then, on the reachability page, issue the one-time check URL and open it in a "
            "browser on a PC of your office network. PMH records where the call came from."
        )
    )
    if not integration.source_ranges:
        steps.append(
            _(
                "Register the address ranges your office calls from under “Contacts and address "
                "ranges” first, or the check cannot pass."
            )
        )
    return steps


def _testing_steps(integration) -> list[str]:
    if integration.rework_method in (ReworkMethod.MANUAL, ReworkMethod.MANUAL_EDIT):
        return [
            _(
                "Prepare a test file (CSV) from your system, or edit one by hand, and upload it "
                "on this page under “Test submissions”."
            ),
            _(
                "Read the result: fix the rows and fields it names and upload again until a "
                "full data set is accepted."
            ),
        ]
    if integration.test_access == TestAccess.OFFLINE:
        return [
            _("Hand the test files to PMH (shared folder, e-mail or USB media); PMH checks them.")
        ]
    return [
        _(
            "Your vendor sends the test files. You can read each result here; ask your vendor "
            "when a file is refused."
        )
    ]


def next_steps(*, integration, forward: str | None) -> list[str]:
    """Sentences for people: what to do so that the integration reaches `forward`."""
    if forward is None:
        return [_("The integration is live. Send your data as arranged; nothing else is needed.")]
    if forward == Stage.DECIDED:
        return [
            _(
                "PMH records how this system connects (rework method, route, data mode, test "
                "access and format). Tell your PMH contact what you and your vendor decided."
            )
        ]
    if forward == Stage.NETWORK_OK:
        return _network_steps(integration)
    if forward in (Stage.TESTING, Stage.TEST_PASSED):
        return _testing_steps(integration)
    if forward == Stage.READY:
        return [_("Agree on the go-live date with PMH; PMH records it here.")]
    return [_("On the go-live date PMH switches the integration to live; no action is needed.")]
