#!/usr/bin/env bash
# Install everything the test suite needs, then run the whole suite under a virtual display.
#
#   bash tests/run.sh [pytest args...]
#
# resources/setup/install.sh installs the system packages (Xvfb, Mesa GL/EGL/OSMesa, Qt's
# xcb libraries, Mosquitto) with apt when run as root, or names what is missing, and the
# Python packages into .venv. Then pytest runs under Xvfb (a real X server for the Qt
# window tests; off-screen renders use EGL and need no display).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash resources/setup/install.sh test
exec xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python -m pytest "$@"
