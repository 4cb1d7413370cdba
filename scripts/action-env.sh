#!/usr/bin/env bash
# The tta-ci environment of the two actions (action.yml and collect/action.yml), in one place.
#
#   action-env.sh locate    write python, version, venv and key to $GITHUB_OUTPUT
#   action-env.sh install   create the venv at $TTA_VENV unless it is there already
#
# TTA_ACTION_ROOT is the root of the tta-ci checkout that the action runs from. The venv
# lives in the runner's temp folder, so start and collect of one job find the same one; the
# cache key changes with the runner's OS, the Python and tta-ci's own files.
set -euo pipefail

locate() {
    # The generated tests import the project and its dependencies, so tta-ci's venv sees the
    # packages already installed for this Python (--system-site-packages).
    local python version key
    python=$(command -v python3 || command -v python)
    version=$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
    key=$("$python" - "$TTA_ACTION_ROOT" <<'PY'
import hashlib, pathlib, sys
root = pathlib.Path(sys.argv[1])
digest = hashlib.sha256()
for path in [root / "pyproject.toml", *sorted((root / "tta_ci").rglob("*.py"))]:
    digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
print(digest.hexdigest()[:32])
PY
)
    {
        echo "python=$python"
        echo "version=$version"
        echo "venv=$RUNNER_TEMP/tta-ci-venv"
        echo "key=tta-ci-venv-$RUNNER_OS-$version-$key"
    } >> "$GITHUB_OUTPUT"
}

install() {
    if [ ! -x "$TTA_VENV/bin/tta-ci" ]; then
        "$TTA_PYTHON" -m venv --system-site-packages "$TTA_VENV"
        "$TTA_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$TTA_ACTION_ROOT"
    fi
    "$TTA_VENV/bin/tta-ci" --version
}

case "${1:-}" in
    locate) locate ;;
    install) install ;;
    *) echo "usage: action-env.sh locate|install" >&2; exit 2 ;;
esac
