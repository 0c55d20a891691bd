"""``python -m osprey``: the ``osprey`` command, for a checkout without the installed
script."""

from osprey.cli import app

app(prog_name="osprey")
