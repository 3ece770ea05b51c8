"""``python -m alatau_twin`` is ``alatau-twin``."""

from alatau_twin.cli.main import run

run()
