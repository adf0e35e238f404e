# Sourced by setup/run.sh: starts the local Bridge API emulator (bank_collect_bridge, BC-18) in the
# background, records its pid in DEMO_PIDS and exports what setup/demo/bank_collect_bridge.py reads:
#   BRIDGE_EMULATOR_URL, BRIDGE_EMULATOR_CLIENT_ID, BRIDGE_EMULATOR_CLIENT_SECRET
# BRIDGE_EMULATOR_PORT (default 3000) chooses the port; an emulator already answering there is reused,
# any other program on it makes the emulator take a free port instead. The emulator keeps its users,
# connections and transactions in .local/bridge-emulator-state.json, so the demo database's Bridge
# users still exist after a restart (delete the file together with the demo database).

BRIDGE_EMULATOR_PORT="${BRIDGE_EMULATOR_PORT:-3000}"
BRIDGE_EMULATOR_CLIENT_ID="${BRIDGE_EMULATOR_CLIENT_ID:-emulator-client-id}"
BRIDGE_EMULATOR_CLIENT_SECRET="${BRIDGE_EMULATOR_CLIENT_SECRET:-emulator-client-secret}"
export BRIDGE_EMULATOR_CLIENT_ID BRIDGE_EMULATOR_CLIENT_SECRET

bridge_emulator_answers() {  # true when a Bridge emulator answers on port $1
    "$PYTHON" - "$1" <<'PY' >/dev/null 2>&1
import json, sys, urllib.request
with urllib.request.urlopen("http://127.0.0.1:%s/_emulator/state" % sys.argv[1], timeout=2) as answer:
    json.load(answer)["users"]
PY
}

bridge_port_free() {
    "$PYTHON" - "$1" <<'PY' >/dev/null 2>&1
import socket, sys
with socket.socket() as probe:
    # As the emulator's HTTP server does: connections of a previous run in TIME_WAIT do not count.
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    probe.bind(("127.0.0.1", int(sys.argv[1])))
PY
}

start_bridge_emulator() {
    local port="$BRIDGE_EMULATOR_PORT"
    if bridge_emulator_answers "$port"; then
        log "Bridge emulator already running on port $port: reused"
    else
        if ! bridge_port_free "$port"; then
            port=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
            log "port $BRIDGE_EMULATOR_PORT is taken: Bridge emulator on port $port instead"
        fi
        mkdir -p "$LOCAL_DIR"
        BRIDGE_EMULATOR_CLIENT_ID="$BRIDGE_EMULATOR_CLIENT_ID" BRIDGE_EMULATOR_CLIENT_SECRET="$BRIDGE_EMULATOR_CLIENT_SECRET" \
            "$PYTHON" "$REPO_ROOT/bank_collect_bridge/bridge/emulator.py" --host 127.0.0.1 --port "$port" \
            --seed demo --state-file "$LOCAL_DIR/bridge-emulator-state.json" --verbose \
            >"$LOCAL_DIR/bridge-emulator.log" 2>&1 &
        DEMO_PIDS+=("$!")
        local tries=0
        until bridge_emulator_answers "$port"; do
            tries=$((tries + 1))
            [ "$tries" -lt 50 ] || die "the Bridge emulator did not start (see $LOCAL_DIR/bridge-emulator.log)"
            sleep 0.2
        done
        log "Bridge emulator started on http://127.0.0.1:$port (log: $LOCAL_DIR/bridge-emulator.log)"
    fi
    export BRIDGE_EMULATOR_URL="http://127.0.0.1:$port"
}

start_bridge_emulator
