# Sourced by setup/run.sh: starts the local SFTP server of the payment kiosk (pos_kiosk_connectic,
# PK-8), a private OpenSSH sshd on 127.0.0.1 with its own host key and configuration (nothing of the
# system's sshd is used or changed), records its pid in DEMO_PIDS and exports what
# setup/demo/pos_kiosk_connectic.py reads:
#   KIOSK_SFTP_PORT, KIOSK_SFTP_USER, KIOSK_SFTP_HOST_KEY_FILE, KIOSK_SFTP_CLIENT_KEY_FILE, KIOSK_SFTP_DATA_DIR
# Keys and folders are kept in .local/kiosk-sftp between runs, so the pinned host key stays valid.

start_kiosk_sftp() {
    local base="$LOCAL_DIR/kiosk-sftp"
    mkdir -p "$base"
    rm -f "$base/env"
    "$PYTHON" "$REPO_ROOT/pos_kiosk_connectic/kiosk/sshd.py" --base-dir "$base" --env-file "$base/env" \
        >"$LOCAL_DIR/kiosk-sftp.log" 2>&1 &
    DEMO_PIDS+=($!)
    for _ in $(seq 100); do
        [ -s "$base/env" ] && break
        sleep 0.1
    done
    [ -s "$base/env" ] || die "the kiosk SFTP server did not start (see $LOCAL_DIR/kiosk-sftp.log)"
    set -a
    # shellcheck disable=SC1091
    source "$base/env"
    set +a
    log "kiosk SFTP server on 127.0.0.1:$KIOSK_SFTP_PORT (folders in $KIOSK_SFTP_DATA_DIR)"
}
start_kiosk_sftp
