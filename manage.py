#!/usr/bin/env python
import os
import sys

# Commands that need neither the app registry nor the database run without ``django.setup()``:
# importing every app (models, admin, API, tables) costs about a second of start-up, which an
# operator validating one file from the shell would pay on every call (issue 21). Such a command
# imports only framework-free code and reads plain settings; ``call_command`` (tests, jobs)
# still runs it the usual way.
LIGHT_COMMANDS = {"validate_file": "uploads.management.commands.validate_file"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmhadmin.settings")
    if len(sys.argv) > 1 and sys.argv[1] in LIGHT_COMMANDS:
        from importlib import import_module

        import_module(LIGHT_COMMANDS[sys.argv[1]]).Command().run_from_argv(sys.argv)
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
