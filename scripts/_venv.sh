# Sourced by scripts/run and scripts/test: make .venv hold this checkout with the given extras.
# Re-installs only when pyproject.toml or the extras change, so later runs start at once.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

ensure_venv() {
    local extras="$1"
    local spec="$ROOT"
    [ -n "$extras" ] && spec="$ROOT[$extras]"
    local stamp
    stamp="$(sha256sum <"$ROOT/pyproject.toml" | cut -c1-16)-$extras"
    if [ -f "$VENV/.installed" ] && [ "$(cat "$VENV/.installed")" = "$stamp" ]; then
        return 0
    fi
    local python="${PYTHON:-python3.11}"
    command -v "$python" >/dev/null 2>&1 || python=python3
    echo "smartalbum: installing into $VENV (first run takes about a minute)..." >&2
    [ -x "$VENV/bin/python" ] || "$python" -m venv "$VENV"
    # --no-compile: Python writes the bytecode of what it imports when it first does; the
    # rest (most of OpenVINO's and NumPy's tests and tools) would be ~90 MB never read.
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile \
        -e "$spec" 2>&1 \
        | grep -v "^WARNING: Location" >&2 || true
    "$VENV/bin/python" -c "import smartalbum" || { echo "smartalbum: install failed" >&2; return 1; }
    echo "$stamp" >"$VENV/.installed"
}
