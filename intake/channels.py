"""The channels, one static table: how a result goes back on each (console.md §3).

A web or API result needs no delivery: the page shows it, the API answers when asked.
"""

from collections.abc import Callable

from intake.deliverers import deliver_folder, deliver_mail, deliver_media
from uploads.models import Channel

DELIVERERS: dict[str, Callable] = {
    Channel.FOLDER: deliver_folder,
    Channel.MAIL: deliver_mail,
    Channel.MEDIA: deliver_media,
}


def deliverer_for(channel: str) -> Callable | None:
    return DELIVERERS.get(channel)
