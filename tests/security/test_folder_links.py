"""A linked folder of the shared folder tree is refused (issue 17.7): one integration's files
must never become another's submissions."""

import pytest

from intake.folder import lib as dropbox
from intake.folder.lib import SUBFOLDERS


def test_a_linked_inbox_is_refused(tmp_path):
    other = dropbox.ensure_layout(tmp_path, "999999")
    (other.inbox / "theirs.csv").write_bytes(b"a,b\r\n")
    mine = tmp_path / "131016"
    mine.mkdir()
    (mine / "inbox").symlink_to(other.inbox, target_is_directory=True)
    with pytest.raises(dropbox.DropboxError):
        dropbox.ensure_layout(tmp_path, "131016")


@pytest.mark.parametrize("sub", [None, *SUBFOLDERS])
def test_a_link_at_any_level_is_refused(tmp_path, sub):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    if sub is None:
        (root / "131016").symlink_to(elsewhere, target_is_directory=True)
    else:
        (root / "131016").mkdir()
        (root / "131016" / sub).symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(dropbox.DropboxError):
        dropbox.ensure_layout(root, "131016")


def test_plain_folders_are_taken(tmp_path):
    layout = dropbox.ensure_layout(tmp_path, "131016")
    assert layout.inbox.is_dir() and not layout.inbox.is_symlink()
