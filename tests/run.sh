#!/usr/bin/env bash
# Install everything the test suite needs, then run the whole suite under a virtual display.
#
#   bash tests/run.sh [pytest args...]
#
# System packages (Xvfb, Mesa GL/EGL/OSMesa, the Qt xcb libraries, Mosquitto) are installed
# with apt when run as root; otherwise the script says exactly what to install and stops.
# Python packages go into .venv (created if missing) from PyPI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SYSTEM_PACKAGES=(
  xvfb xauth
  libgl1 libglx-mesa0 libgl1-mesa-dri libegl1 libegl-mesa0 libosmesa6
  libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xinerama0
  libxcb-randr0 libxcb-shape0 libxcb-cursor0 libxcb-xkb1 libxkbcommon-x11-0 libxkbcommon0
  libfontconfig1 libdbus-1-3
  mosquitto mosquitto-clients
)
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1; then
  SYSTEM_PACKAGES+=(python3-venv)
fi

missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ]; then
    echo "tests/run.sh: installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "tests/run.sh: these system packages are missing: ${missing[*]}" >&2
    echo "install them first, e.g.:  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"

# A real X server (Xvfb) for the Qt window tests; off-screen renders use EGL/OSMesa.
exec xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python -m pytest "$@"
