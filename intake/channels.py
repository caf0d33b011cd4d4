"""The channels, one static table (console.md §3): where each receives and how its result
goes back. A web or API result needs no delivery: the page shows it, the API answers when
asked. `uploads` reaches a deliverer through `uploads.hooks`, which `IntakeConfig.ready` points
at `deliverer_for`.
"""

from collections.abc import Callable
from dataclasses import dataclass

from intake.folder.deliver import deliver_folder
from intake.mail.deliver import deliver_mail
from intake.media.deliver import deliver_media
from uploads.models import Channel


@dataclass(frozen=True)
class ChannelKind:
    receives: str  # the module that takes a file in
    deliver: Callable | None = None


CHANNELS: dict[str, ChannelKind] = {
    Channel.WEB: ChannelKind("intake.web.views"),
    Channel.API: ChannelKind("intake.api.views"),
    Channel.FOLDER: ChannelKind("intake.folder.receive", deliver_folder),
    Channel.MAIL: ChannelKind("intake.mail.receive", deliver_mail),
    Channel.MEDIA: ChannelKind("intake.media.receive", deliver_media),
}


def deliverer_for(channel: str) -> Callable | None:
    kind = CHANNELS.get(channel)
    return kind.deliver if kind else None
