# Helpers for the groups' install steps (sourced by scripts/deps/GROUP.sh).
#
#   venv_install PKG==VER...   pip packages into the project's virtualenv
#   COUPONLIB_VENV             the virtualenv: $HOME/.cache/couponlib/venv
#   COUPONLIB_CACHE            $HOME/.cache/couponlib: what the steps build is kept here
#
# A step does nothing when its stamp (a hash of what it installs) is current.

COUPONLIB_CACHE=${COUPONLIB_CACHE:-$HOME/.cache/couponlib}
COUPONLIB_VENV=${COUPONLIB_VENV:-$COUPONLIB_CACHE/venv}
mkdir -p "$COUPONLIB_CACHE"

# stamp_ok NAME TEXT: true when NAME was last done with exactly TEXT.
stamp_ok() {
    [ -f "$COUPONLIB_CACHE/stamp.$1" ] && [ "$(cat "$COUPONLIB_CACHE/stamp.$1")" = "$2" ]
}

stamp_set() {
    printf '%s' "$2" >"$COUPONLIB_CACHE/stamp.$1"
}

venv_install() {
    local want="$*"
    local name="pip-$(printf '%s' "$want" | sha1sum | cut -c1-12)"
    if [ -x "$COUPONLIB_VENV/bin/python" ] && stamp_ok "$name" "$want"; then
        return 0
    fi
    if [ ! -x "$COUPONLIB_VENV/bin/python" ]; then
        python3 -m venv "$COUPONLIB_VENV"
    fi
    echo "deps: pip install $want" >&2
    "$COUPONLIB_VENV/bin/pip" install -q --disable-pip-version-check "$@"
    stamp_set "$name" "$want"
}
