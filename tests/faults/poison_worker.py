"""``manage.py rqworker`` whose work horse kills itself (SIGKILL) on a poison file.

Run as ``python -m tests.faults.poison_worker QUEUE... [options]``. The horse is forked from
this process, so the patched engine entry point is the one it runs: any stored file containing
``MARKER`` makes the horse die in the middle of validation, every time, as a file that crashes
the interpreter or exhausts memory would.
"""

import os
import signal
import sys

import django

MARKER = b"#POISON-KILLS-THE-HORSE"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmhadmin.settings")
    django.setup()
    from django.core.management import execute_from_command_line

    from uploads import processing

    real = processing.validate_file

    def validate_file(source, **kwargs):
        with open(source, "rb") as fh:
            if MARKER in fh.read():
                os.kill(os.getpid(), signal.SIGKILL)
        return real(source, **kwargs)

    processing.validate_file = validate_file
    execute_from_command_line(["manage.py", "rqworker", *sys.argv[1:]])


if __name__ == "__main__":
    main()
