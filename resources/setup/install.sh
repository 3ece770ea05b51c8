#!/usr/bin/env bash
# Set up Alatau Twin on Debian/Ubuntu: system libraries, a virtualenv in .venv, the app.
#
#   bash resources/setup/install.sh        # what the app needs (Qt's xcb and GL libraries)
#   bash resources/setup/install.sh test   # ... plus Xvfb, OSMesa, Mosquitto and test tools
#
# System packages are installed with apt when run as root (or through sudo when it is
# available); otherwise the script names exactly what is missing. Python packages come
# from PyPI into .venv. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
MODE=${1:-app}

APP_PACKAGES=(
  libgl1 libglx-mesa0 libgl1-mesa-dri libegl1 libegl-mesa0
  libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xinerama0
  libxcb-randr0 libxcb-shape0 libxcb-cursor0 libxcb-xkb1 libxkbcommon-x11-0 libxkbcommon0
  libfontconfig1 libdbus-1-3
)
TEST_PACKAGES=(xvfb xauth libosmesa6 mosquitto mosquitto-clients)

PYTHON=${PYTHON:-python3}
packages=("${APP_PACKAGES[@]}")
[ "$MODE" = test ] && packages+=("${TEST_PACKAGES[@]}")
if ! "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1; then
  packages+=(python3-venv)
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  apt_cmd=()
  if [ "$(id -u)" -eq 0 ]; then
    apt_cmd=(env DEBIAN_FRONTEND=noninteractive)
  elif command -v sudo >/dev/null 2>&1; then
    apt_cmd=(sudo env DEBIAN_FRONTEND=noninteractive)
  fi
  if ((${#apt_cmd[@]})); then
    echo "install.sh: installing system packages: ${missing[*]}"
    "${apt_cmd[@]}" apt-get update -qq
    "${apt_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "install.sh: these system packages are missing: ${missing[*]}" >&2
    echo "install them as root:  apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
if [ "$MODE" = test ]; then
  .venv/bin/python -m pip install -q -e ".[test]"
else
  .venv/bin/python -m pip install -q -e .
fi
echo "install.sh: ready; run .venv/bin/alatau-twin"
