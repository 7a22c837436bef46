#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine with Python 3.11:
# the system libraries WeasyPrint and Japanese documents need, the virtualenv and the
# Python packages. Idempotent: a second run installs nothing.
#   scripts/setup.sh                 # application
#   scripts/setup.sh --with-browser  # plus Chromium for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  libpango-1.0-0 libpangoft2-1.0-0   # WeasyPrint's text layout
  libharfbuzz-subset0                # font subsetting in C (the Python fallback is ~50x slower)
  fonts-noto-cjk                     # Japanese text
  fonts-ipamj-mincho                 # MJ characters (外字) in names
  libmagic1                          # file types by content
  gettext                            # msgfmt: compiles the translations (locale/)
  poppler-utils                      # pdftoppm: look at rendered notices (bench, by hand)
)
if [[ "${1:-}" == "--with-browser" ]]; then
  packages+=(chromium chromium-driver)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  sudo=""; [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
  echo "==> apt-get install ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  echo "==> creating .venv"
  "$python" -m venv .venv
fi
# Python packages: exactly the versions (and hashes) of requirements/lock.txt, then the
# project itself. A dependency added to pyproject.toml but not yet locked is still
# installed by the second command (unpinned) until the lock is regenerated (README).
stamp=.venv/.installed-$(cat pyproject.toml requirements/lock.txt | sha256sum | cut -c1-16)
if [[ ! -f "$stamp" ]]; then
  echo "==> pip install from requirements/lock.txt (.venv; log in var/log/pip.log)"
  mkdir -p var/log
  if ! { .venv/bin/python -m pip install -q --upgrade pip &&
         .venv/bin/python -m pip install -q --require-hashes -r requirements/lock.txt &&
         .venv/bin/python -m pip install -q -e ".[test]"; } >var/log/pip.log 2>&1; then
    tail -30 var/log/pip.log
    exit 1
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# The member site's translations (locale/<lang>/LC_MESSAGES/django.po → .mo, not committed).
DJANGO_SETTINGS_MODULE=config.settings.test .venv/bin/python manage.py compilemessages \
  --ignore=.venv --ignore=var -v0
