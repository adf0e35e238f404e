# Shared by setup/install.sh, setup/run.sh and setup/test.sh: sourced, never run alone.
# Every function is idempotent: it checks first, acts only when something is missing, and says what it does.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL_DIR="$REPO_ROOT/.local"           # runtime state: config, filestore, logs, private PostgreSQL (git-ignored)
VENV_DIR="${VENV_DIR:-$REPO_ROOT/.venv}"
PYTHON="$VENV_DIR/bin/python"
ODOO_BRANCH="18.0"
ODOO_UPSTREAM="https://github.com/odoo/odoo.git"
DEFAULT_ODOO_SRC="/opt/odoo/18.0"
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
ODOO_DB_USER="${ODOO_DB_USER:-odoo}"
ODOO_DB_PASSWORD="${ODOO_DB_PASSWORD:-odoo}"
PROJECT_ADDONS="bank_collect_bridge,sepa_oneoff_portal,pos_kiosk_connectic"
export PGHOST PGPORT

log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        die "need root to run: $* (install it by hand, or run as root)"; fi
}

apt_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

APT_UPDATED=0
apt_install() {
    local missing=() output
    for pkg in "$@"; do apt_installed "$pkg" || missing+=("$pkg"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null || die "missing system packages (${missing[*]}) and no apt-get: install them by hand"
    if [ "$APT_UPDATED" -eq 0 ]; then
        log "apt-get update"
        as_root apt-get update -qq || die "apt-get update failed (apt's message above)"
        APT_UPDATED=1
    fi
    log "installing system packages: ${missing[*]}"
    if ! output=$(DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" 2>&1); then
        printf '%s\n' "$output" >&2
        die "apt-get could not install ${missing[*]} (apt's message above)"
    fi
}

ODOO_HINT="provide Odoo 18.0 with ODOO_SRC=/path/to/odoo (the folder holding odoo-bin), or unpack it into $DEFAULT_ODOO_SRC"

# The upstream branch, cloned next to nothing until it is complete: a failed clone leaves no folder.
clone_odoo() {
    timeout 5 bash -c ': >/dev/tcp/github.com/443' 2>/dev/null || return 1
    command -v git >/dev/null || apt_install git
    local staging
    staging=$(mktemp -d) || return 1
    log "Odoo not found: cloning $ODOO_UPSTREAM ($ODOO_BRANCH) into $DEFAULT_ODOO_SRC"
    if ! git clone --quiet --depth 1 --branch "$ODOO_BRANCH" "$ODOO_UPSTREAM" "$staging/odoo"; then
        rm -rf "$staging"
        return 1
    fi
    as_root mkdir -p "$(dirname "$DEFAULT_ODOO_SRC")"
    as_root mv "$staging/odoo" "$DEFAULT_ODOO_SRC"
    rm -rf "$staging"
}

# Odoo 18.0 source: $ODOO_SRC, else /opt/odoo/18.0, else a shallow clone of the upstream 18.0 branch
# there; without any of them, one line says how to provide it, before anything is installed.
ensure_odoo() {
    if [ -n "${ODOO_SRC:-}" ]; then
        [ -f "$ODOO_SRC/odoo-bin" ] || die "ODOO_SRC=$ODOO_SRC has no odoo-bin: $ODOO_HINT"
    elif [ -f "$DEFAULT_ODOO_SRC/odoo-bin" ]; then
        ODOO_SRC="$DEFAULT_ODOO_SRC"
    else
        clone_odoo || die "Odoo 18.0 not found and $ODOO_UPSTREAM unreachable: $ODOO_HINT"
        ODOO_SRC="$DEFAULT_ODOO_SRC"
    fi
    local version
    version=$(sed -n "s/^version_info = (\([0-9]*\), *\([0-9]*\).*/\1.\2/p" "$ODOO_SRC/odoo/release.py")
    [ "$version" = "$ODOO_BRANCH" ] || die "$ODOO_SRC is Odoo ${version:-of unknown version}, not $ODOO_BRANCH: $ODOO_HINT"
    export ODOO_SRC
    # Upstream keeps most addons in addons/, some packagings keep all of them in odoo/addons.
    ODOO_ADDONS_PATH="$ODOO_SRC/odoo/addons"
    [ -d "$ODOO_SRC/addons" ] && ODOO_ADDONS_PATH="$ODOO_SRC/addons,$ODOO_ADDONS_PATH"
    ODOO_ADDONS_PATH="$ODOO_ADDONS_PATH,$REPO_ROOT"
    log "Odoo $version found in $ODOO_SRC"
}

pg_ready() { "$PYTHON_BOOT" - "$PGHOST" "$PGPORT" <<'EOF'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
except OSError:
    sys.exit(1)
EOF
}

psql_admin() {
    # Superuser access: trust on TCP first (CI containers), then the postgres OS user (Debian's peer auth).
    if psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; then
        psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"
    else
        as_root su postgres -c "psql -p $PGPORT -d postgres -v ON_ERROR_STOP=1 -qtA $(printf '%q ' "$@")"
    fi
}

# A PostgreSQL server on $PGHOST:$PGPORT: the one running, else the Debian cluster started (installed
# first when there is none), else, without root, a private cluster under .local/pgdata.
start_debian_cluster() {
    if ! command -v pg_lsclusters >/dev/null || [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
        apt_install postgresql-15 postgresql-client-15 || apt_install postgresql postgresql-client
    fi
    if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
        local version
        version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
        log "creating PostgreSQL $version cluster main"
        as_root pg_createcluster "$version" main --port "$PGPORT" >/dev/null
    fi
    local cluster
    cluster=$(pg_lsclusters -h | awk -v port="$PGPORT" '$3 == port {print $1" "$2; exit}')
    [ -n "$cluster" ] || die "no PostgreSQL cluster listens on port $PGPORT (pg_lsclusters)"
    log "starting PostgreSQL cluster $cluster"
    # shellcheck disable=SC2086
    as_root pg_ctlcluster --skip-systemctl-redirect $cluster start 2>/dev/null || as_root pg_ctlcluster $cluster start
}

start_private_cluster() {
    local bindir pgdata="$LOCAL_DIR/pgdata"
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$bindir" ] || die "no PostgreSQL server on $PGHOST:$PGPORT and none installed: install PostgreSQL 15"
    if [ ! -f "$pgdata/PG_VERSION" ]; then
        log "creating a private PostgreSQL cluster in $pgdata"
        "$bindir/initdb" -D "$pgdata" -U postgres --auth=trust >/dev/null
    fi
    log "starting the private PostgreSQL cluster on port $PGPORT"
    "$bindir/pg_ctl" -D "$pgdata" -l "$LOCAL_DIR/postgresql.log" -o "-p $PGPORT -k /tmp -h $PGHOST" -w start >/dev/null
}

ensure_postgres() {
    if ! pg_ready; then
        if [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null; then start_debian_cluster; else start_private_cluster; fi
        for _ in $(seq 30); do pg_ready && break; sleep 1; done
        pg_ready || die "PostgreSQL does not answer on $PGHOST:$PGPORT"
    fi
    command -v psql >/dev/null || apt_install postgresql-client-15
    local server_version
    server_version=$(psql_admin -c 'show server_version_num')
    [ "${server_version:0:2}" -ge 12 ] || die "PostgreSQL $server_version is too old for Odoo 18"
    if [ "$(psql_admin -c "select 1 from pg_roles where rolname = '$ODOO_DB_USER'")" != "1" ]; then
        log "creating PostgreSQL role $ODOO_DB_USER"
        psql_admin -c "create role \"$ODOO_DB_USER\" login createdb password '$ODOO_DB_PASSWORD'"
    fi
    log "PostgreSQL ${server_version:0:2} ready on $PGHOST:$PGPORT (role $ODOO_DB_USER)"
}

# System packages the tests and the demo need: a browser for tours, sshd for the kiosk's SFTP server,
# wkhtmltopdf for Odoo's PDF reports (the signed SEPA mandate), and to read a printed kiosk barcode
# back as a scanner would: pdftoppm (rasterises the PDF) and zbarimg (decodes it).
ensure_system_packages() {
    local wanted=(git chromium openssh-server openssh-client wkhtmltopdf poppler-utils zbar-tools)
    apt_install "${wanted[@]}"
    command -v chromium >/dev/null || die "chromium not found after install"
    [ -x /usr/sbin/sshd ] || die "/usr/sbin/sshd not found after install"
    command -v zbarimg >/dev/null && command -v pdftoppm >/dev/null || die "zbarimg or pdftoppm not found after install"
}

find_python311() {
    for candidate in "${PYTHON311:-}" python3.11 "$HOME/.pyenv/versions/3.11"*/bin/python3.11 /usr/bin/python3.11; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            command -v "$candidate"; return 0
        fi
    done
    return 1
}

# The virtualenv with Odoo's and the project's pinned requirements; reinstalled when they change.
ensure_venv() {
    local requirements="$REPO_ROOT/setup/requirements.txt" stamp="$VENV_DIR/.requirements.sha256" wanted
    if [ ! -x "$PYTHON" ]; then
        local py
        py=$(find_python311) || { apt_install python3.11 python3.11-venv python3.11-dev; py=$(find_python311); } \
            || die "Python 3.11 not found"
        log "creating virtualenv $VENV_DIR with $py"
        "$py" -m venv "$VENV_DIR"
    fi
    wanted=$(cat "$REPO_ROOT"/setup/requirements*.txt | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
        apt_install libmagic1  # python-magic loads it at import
        log "installing Python requirements (setup/requirements.txt)"
        "$PYTHON" -m pip install --quiet --disable-pip-version-check -r "$requirements"
        echo "$wanted" > "$stamp"
    fi
    log "virtualenv ready: $VENV_DIR"
}

# Odoo configuration for this checkout; $1 = file, $2 = HTTP port.
write_odoo_config() {
    local conf="$1" port="$2"
    mkdir -p "$LOCAL_DIR/data" "$(dirname "$conf")"
    cat > "$conf" <<EOF
[options]
addons_path = $ODOO_ADDONS_PATH
data_dir = $LOCAL_DIR/data
db_host = $PGHOST
db_port = $PGPORT
db_user = $ODOO_DB_USER
db_password = $ODOO_DB_PASSWORD
http_interface = 127.0.0.1
http_port = $port
list_db = False
max_cron_threads = 1
without_demo = all
EOF
}

# ruff and pylint-odoo as the OCA runs them on 18.0 addons, then the checks of setup/check_addons.py.
run_lint() {
    local status=0
    log "lint: ruff, pylint-odoo, addon checks"
    (cd "$REPO_ROOT" && "$VENV_DIR/bin/ruff" check --no-fix --quiet .) || status=1
    (cd "$REPO_ROOT" && "$VENV_DIR/bin/pylint" --rcfile=.pylintrc ${PROJECT_ADDONS//,/ }) || status=1
    "$PYTHON" "$REPO_ROOT/setup/check_addons.py" || status=1
    [ "$status" -eq 0 ] && log "lint passed"
    return "$status"
}

install_all() {
    ensure_odoo
    PYTHON_BOOT=$(command -v python3 || find_python311)
    mkdir -p "$LOCAL_DIR"
    ensure_system_packages
    ensure_venv
    ensure_postgres
}
