# Sourced by scripts/run and scripts/test: make .venv hold this checkout with the given extras,
# installed from their lock (requirements/*.txt, made by scripts/lock): the same versions, each
# file checked against its sha256, on every machine. uv installs it (4 to 16 times faster than
# pip here: docs/performance.md), uv itself from its own lock, requirements/tools/uv.txt;
# pip does when uv cannot. A lock older than pyproject.toml's dependencies is passed over with
# a warning for a plain pip install (tests/test_lock.py fails until scripts/lock is run).
# Re-installs only when pyproject.toml, the lock or the extras change, so later runs start at once.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

# pip, quiet, without its warnings about this machine's local indexes lacking a package.
_venv_pip() {
    # --no-compile: Python writes the bytecode of what it imports when it first does; the
    # rest (most of OpenVINO's and NumPy's tests and tools) would be ~90 MB never read.
    "$VENV/bin/python" -m pip "$@" --quiet --disable-pip-version-check --no-compile 2>&1 \
        | { grep -v "^WARNING: Location" >&2 || true; }
    return "${PIPESTATUS[0]}"
}

# The lock for these extras (its "# extras:" line), if it was made from this pyproject.toml.
_venv_lock() {
    local extras="$1" python="$2" lock
    for lock in "$ROOT"/requirements/*.txt; do
        if [ ! -f "$lock" ] || [ "$(sed -n 's/^# extras: *//p' "$lock")" != "$extras" ]; then
            continue
        fi
        if grep -qx "# inputs: $("$python" "$ROOT/scripts/lock_inputs.py")" "$lock"; then
            echo "$lock"
        else
            echo "smartalbum: ${lock#"$ROOT/"} is older than pyproject.toml's dependencies:" \
                "installing without it (run scripts/lock)" >&2
        fi
        return 0
    done
}

# Install a lock with uv, into .venv/uv (beside the packages, not among them), then the project.
# uv reads no pip configuration: it is given pip's find-links (torch's CPU build on this disk).
_venv_uv_install() {
    local lock="$1" uv="$VENV/uv/bin/uv" links=()
    if [ ! -x "$uv" ]; then
        _venv_pip install --require-hashes --target "$VENV/uv" \
            --requirement "$ROOT/requirements/tools/uv.txt" || return 1
    fi
    local link
    for link in $("$VENV/bin/python" -m pip config list 2>/dev/null \
        | sed -n "s/^[^=]*find-links='\(.*\)'$/\1/p" | tr ' ' '\n' | sort -u); do
        links+=(--find-links "$link")
    done
    "$uv" pip install --quiet --python "$VENV/bin/python" "${links[@]}" \
        --require-hashes --requirement "$lock" || return 1
    "$uv" pip install --quiet --python "$VENV/bin/python" --no-deps --no-build-isolation \
        -e "$ROOT" || return 1
}

ensure_venv() {
    local extras="$1"
    local python="${PYTHON:-python3.11}"
    command -v "$python" >/dev/null 2>&1 || python=python3
    local lock stamp
    lock="$(_venv_lock "$extras" "$python")"
    stamp="$(cat "$ROOT/pyproject.toml" ${lock:+"$lock"} | sha256sum | cut -c1-16)-$extras"
    if [ -f "$VENV/.installed" ] && [ "$(cat "$VENV/.installed")" = "$stamp" ]; then
        return 0
    fi
    echo "smartalbum: installing into $VENV (first run takes about a minute)..." >&2
    [ -x "$VENV/bin/python" ] || "$python" -m venv "$VENV"
    if [ -n "$lock" ] && _venv_uv_install "$lock"; then
        :
    elif [ -n "$lock" ]; then
        echo "smartalbum: uv could not install ${lock#"$ROOT/"}: pip does" >&2
        # Every dependency from the lock (pip checks each file's hash, and that the lock
        # holds all they need), then the project alone, built by the locked setuptools.
        _venv_pip install --require-hashes --requirement "$lock" || return 1
        _venv_pip install --no-deps --no-build-isolation -e "$ROOT" || return 1
    else
        _venv_pip install -e "$ROOT${extras:+[$extras]}" || return 1
    fi
    "$VENV/bin/python" -c "import smartalbum" || { echo "smartalbum: install failed" >&2; return 1; }
    echo "$stamp" >"$VENV/.installed"
}
