#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")
    from django.core.management import execute_from_command_line

    from records import rls

    # A command is the site owner's: on PostgreSQL it sees every row (contract §12). The
    # requests of `runserver` run in threads of their own, each as its visitor.
    with rls.trusted():
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
