#!/usr/bin/env bash
# PostgreSQL logical-replication catch-up benchmark (comparison point for
# Lianluo's own catch-up benchmark). See bench/pg/README.md.
#
# Two throwaway PostgreSQL instances (publisher, subscriber) on localhost,
# TLS with client certificates on the replication connection. The subscriber
# is stopped, N rows are committed on the publisher in T transactions, the
# subscriber is started again and we time how long it takes to catch up.
#
# Results go to stdout as key=value lines; progress goes to stderr.
set -euo pipefail

export LC_ALL=C
# Nothing from the caller's libpq environment may leak into our connections.
while read -r _v; do unset "$_v"; done < <(compgen -e | grep '^PG' || true)
unset _v

ROWS=100000
TXNS=                    # default: ceil(ROWS / 100), i.e. 100 rows per transaction
ROWS_PER_TXN_DEFAULT=100
KEEP=0
ASYNC_APPLY=0
POLL_INTERVAL=0.02       # seconds between polls of the subscriber
CATCHUP_TIMEOUT=300      # seconds, from subscriber start to caught up
SETUP_TIMEOUT=60         # seconds, for each wait during the setup
MAX_ROWS=10000000

DB=bench
REPL_USER=lianluo_repl
PUB_NAME=bench_pub
SUB_NAME=bench_sub

usage() {
    cat <<EOF
Usage: $(basename "$0") [--rows N] [--transactions T] [--keep] [--async-apply] [--help]

Measures PostgreSQL logical replication catch-up: two local instances
(publisher, subscriber) with TLS client-certificate authentication; the
subscriber is stopped while N rows (~600-byte body each) are committed on the
publisher in T transactions, then started again; the time until the
subscriber holds every row is measured.

Options:
  --rows N           rows to commit while the subscriber is away (default $ROWS)
  --transactions T   number of transactions they are committed in (default:
                     N/$ROWS_PER_TXN_DEFAULT rounded up, i.e. 1000 for the default N);
                     1 <= T <= N, rows are spread evenly
  --keep             keep the temporary directory (data dirs, logs, certs)
  --async-apply      use PostgreSQL's default for subscriptions,
                     synchronous_commit = off on the apply side (default here:
                     on, i.e. each applied transaction is flushed, like ours)
  --help             show this help

Installs PostgreSQL with apt-get if it is not found (needs root).
Output (stdout): pg_version, pg_rows, pg_transactions, pg_catchup_seconds,
pg_first_row_seconds, pg_apply_rows_per_second. Progress goes to stderr.
EOF
}

log() { printf '[pg-catchup +%ss] %s\n' "$SECONDS" "$*" >&2; }
die() { printf '[pg-catchup] ERROR: %s\n' "$*" >&2; exit 1; }
usage_error() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; printf "Try '%s --help'.\n" "$(basename "$0")" >&2; exit 2; }

is_pos_int() { [[ $1 =~ ^[1-9][0-9]{0,9}$ ]]; }

while (($#)); do
    case $1 in
        --rows|--transactions)
            (($# >= 2)) || usage_error "$1 needs a value"
            is_pos_int "$2" || usage_error "$1 must be a positive integer, got '$2'"
            if [[ $1 == --rows ]]; then ROWS=$2; else TXNS=$2; fi
            shift 2 ;;
        --rows=*|--transactions=*)
            v=${1#*=}
            is_pos_int "$v" || usage_error "${1%%=*} must be a positive integer, got '$v'"
            if [[ $1 == --rows=* ]]; then ROWS=$v; else TXNS=$v; fi
            shift ;;
        --keep) KEEP=1; shift ;;
        --async-apply) ASYNC_APPLY=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage_error "unknown argument '$1'" ;;
    esac
done
((ROWS <= MAX_ROWS)) || usage_error "--rows must be at most $MAX_ROWS (got $ROWS)"
if [[ -z $TXNS ]]; then TXNS=$(((ROWS + ROWS_PER_TXN_DEFAULT - 1) / ROWS_PER_TXN_DEFAULT)); fi
((TXNS <= ROWS)) || usage_error "--transactions ($TXNS) must not exceed --rows ($ROWS)"

now() {
    if [[ -n ${EPOCHREALTIME:-} ]]; then printf '%s\n' "$EPOCHREALTIME"; else date +%s.%N; fi
}
# fsub A B -> A - B (floats)
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f\n", a - b }'; }

# ---------------------------------------------------------------------------
# PostgreSQL binaries (install from the distribution if missing)
# ---------------------------------------------------------------------------
PG_TOOLS=(initdb pg_ctl postgres psql pg_isready)

has_tools() {
    local d=$1 t
    for t in "${PG_TOOLS[@]}"; do [[ -x $d/$t ]] || return 1; done
}

find_pg_bindir() {
    local d cand
    if [[ -n ${PG_BINDIR:-} ]] && has_tools "$PG_BINDIR"; then printf '%s\n' "$PG_BINDIR"; return 0; fi
    # Debian/Ubuntu layout; take the newest major version.
    while read -r d; do
        if [[ -n $d ]] && has_tools "$d"; then printf '%s\n' "$d"; return 0; fi
    done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r)
    for cand in initdb pg_ctl; do
        if command -v "$cand" >/dev/null 2>&1; then
            d=$(dirname "$(readlink -f "$(command -v "$cand")")")
            if has_tools "$d"; then printf '%s\n' "$d"; return 0; fi
        fi
    done
    return 1
}

apt_install() {
    ((EUID == 0)) || die "need root to install packages ($*); install them or run as root"
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install $* by hand"
    log "installing: $* (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2 || die "apt-get update failed"
    apt-get install -y --no-install-recommends "$@" >&2 || die "apt-get install $* failed"
}

if PG_BIN=$(find_pg_bindir); then
    log "PostgreSQL found in $PG_BIN ($("$PG_BIN/postgres" --version)); not installing"
else
    apt_install postgresql
    PG_BIN=$(find_pg_bindir) || die "PostgreSQL installed but initdb/pg_ctl not found under /usr/lib/postgresql/*/bin"
    log "installed: $("$PG_BIN/postgres" --version) in $PG_BIN"
    if command -v dpkg-query >/dev/null 2>&1; then
        dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Version}\n' 'postgresql*' 'libpq5' 2>/dev/null \
            | awk '$1 == "ii" { print "[pg-catchup]   installed package " $2 " " $3 }' | sort >&2 || true
    fi
    log "(the package may have created and started its default cluster on port 5432; this benchmark does not use it)"
fi

if ! command -v openssl >/dev/null 2>&1; then
    apt_install openssl
    log "installed: $(openssl version)"
fi

# ---------------------------------------------------------------------------
# Non-root user to run the servers as
# ---------------------------------------------------------------------------
if ((EUID == 0)); then
    PG_OS_USER=postgres
    if ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
        log "creating system user $PG_OS_USER"
        useradd --system --user-group --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_OS_USER"
    fi
    command -v runuser >/dev/null 2>&1 || die "runuser (util-linux) not found"
    AS_PG=(runuser -u "$PG_OS_USER" --)
else
    PG_OS_USER=$(id -un)
    AS_PG=()
fi
as_pg() { "${AS_PG[@]}" "$@"; }

# ---------------------------------------------------------------------------
# Temp dir and cleanup (servers are stopped on any exit, incl. Ctrl-C)
# ---------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pg-catchup.XXXXXX")
PUB_DIR=$WORK/pub
SUB_DIR=$WORK/sub
CERTS=$WORK/certs
CLEANED=0

cleanup() {
    local rc=$?
    ((CLEANED)) && return
    CLEANED=1
    set +e
    trap '' INT TERM
    local d
    for d in "$SUB_DIR" "$PUB_DIR"; do
        if [[ -f $d/postmaster.pid ]]; then
            as_pg "$PG_BIN/pg_ctl" stop -D "$d" -m immediate -w -t 30 >/dev/null 2>&1 \
                || log "could not stop the server in $d"
        fi
    done
    if ((KEEP)); then
        log "kept $WORK (logs: $WORK/pub.log, $WORK/sub.log)"
    else
        rm -rf -- "$WORK"
    fi
    if ((rc != 0)); then
        log "failed (exit $rc)"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cd "$WORK"   # the postgres user must be able to stat its cwd

# ---------------------------------------------------------------------------
# Free ports on 127.0.0.1
# ---------------------------------------------------------------------------
port_in_use() {
    local p=$1
    if command -v ss >/dev/null 2>&1; then
        [[ -n $(ss -Htan "sport = :$p" 2>/dev/null) ]]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null
    fi
}
pick_port() {
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + RANDOM % 30000))
        [[ $p == "${1:-}" ]] && continue
        port_in_use "$p" || { printf '%s\n' "$p"; return 0; }
    done
    die "no free TCP port found"
}
PUB_PORT=$(pick_port)
SUB_PORT=$(pick_port "$PUB_PORT")

# ---------------------------------------------------------------------------
# Certificates: throwaway CA, one server cert per instance, one client cert
# ---------------------------------------------------------------------------
log "work dir $WORK; publisher port $PUB_PORT, subscriber port $SUB_PORT"
mkdir -p "$CERTS"
# (Run as a plain statement, not under `||`, so that set -e applies inside.)
(
    exec 3>&2 >/dev/null 2>"$WORK/openssl.log"
    trap 'printf "[pg-catchup] ERROR: certificate generation failed:\n" >&3; cat "$WORK/openssl.log" >&3' ERR
    cd "$CERTS"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout ca.key -out ca.crt \
        -subj "/CN=lianluo-bench-pg-ca" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign"
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' > server.ext
    printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' > client.ext
    for name in pub sub; do
        openssl req -new -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=localhost"
        openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
            -extfile server.ext -out "$name.crt"
    done
    # The certificate's CN is the database user it authenticates as (cert auth).
    openssl req -new -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=$REPL_USER"
    openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -extfile client.ext -out client.crt
    openssl verify -CAfile ca.crt pub.crt sub.crt client.crt
    rm -f ./*.csr ca.srl
)
chmod 600 "$CERTS"/*.key
chown -R "$PG_OS_USER": "$WORK"
chmod 700 "$WORK"
log "certificates: CA, server cert for each instance (CN=localhost, SAN localhost/127.0.0.1), client cert CN=$REPL_USER"

# ---------------------------------------------------------------------------
# The two instances
# ---------------------------------------------------------------------------
# psql on instance dir ($1) via its private unix socket, as the superuser.
psql_on() {
    local dir=$1 port
    shift
    if [[ $dir == "$PUB_DIR" ]]; then port=$PUB_PORT; else port=$SUB_PORT; fi
    as_pg "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d "${PSQL_DB:-$DB}" "$@"
}
pub_sql() { psql_on "$PUB_DIR" -c "$1"; }
sub_sql() { psql_on "$SUB_DIR" -c "$1"; }

init_instance() {
    local dir=$1 port=$2 name=$3
    as_pg "$PG_BIN/initdb" -D "$dir" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$WORK/$name-initdb.log" 2>&1 \
        || { cat "$WORK/$name-initdb.log" >&2; die "initdb for $name failed"; }
    cat >>"$dir/postgresql.conf" <<EOF

# --- lianluo catch-up benchmark ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
unix_socket_permissions = 0700
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
max_logical_replication_workers = 4
max_worker_processes = 8
fsync = on
synchronous_commit = on
full_page_writes = on
ssl = on
ssl_cert_file = '$CERTS/$name.crt'
ssl_key_file = '$CERTS/$name.key'
ssl_ca_file = '$CERTS/ca.crt'
log_line_prefix = '%m [%p] %b '
log_connections = on
log_replication_commands = on
log_checkpoints = on
EOF
    cat >"$dir/pg_hba.conf" <<EOF
# TYPE   DATABASE  USER           ADDRESS        METHOD
# Setup only: the superuser over the private unix socket.
local    all       postgres                      trust
# TCP: TLS with a client certificate (CN = user name) and nothing else.
hostssl  $DB       $REPL_USER     127.0.0.1/32   cert clientcert=verify-full
host     all       all            0.0.0.0/0      reject
host     all       all            ::/0           reject
EOF
}

start_instance() {   # dir name [extra pg_ctl args]
    local dir=$1 name=$2
    shift 2
    as_pg "$PG_BIN/pg_ctl" start -D "$dir" -l "$WORK/$name.log" "$@" >/dev/null \
        || { tail -n 30 "$WORK/$name.log" >&2; die "could not start the $name instance"; }
}

# wait_for DESC CMD...: run CMD until it succeeds, at most SETUP_TIMEOUT seconds.
wait_for() {
    local desc=$1 deadline
    shift
    deadline=$((SECONDS + SETUP_TIMEOUT))
    until "$@"; do
        ((SECONDS < deadline)) || die "timed out after ${SETUP_TIMEOUT}s waiting for: $desc"
        sleep 0.1
    done
}

log "initdb publisher and subscriber"
init_instance "$PUB_DIR" "$PUB_PORT" pub
init_instance "$SUB_DIR" "$SUB_PORT" sub
start_instance "$PUB_DIR" pub -w -t "$SETUP_TIMEOUT"
start_instance "$SUB_DIR" sub -w -t "$SETUP_TIMEOUT"

PG_VERSION_FULL=$(PSQL_DB=postgres psql_on "$PUB_DIR" -c 'SHOW server_version')
PG_VERSION=${PG_VERSION_FULL%% *}
log "PostgreSQL $PG_VERSION_FULL running"

# ---------------------------------------------------------------------------
# Schema, publication, subscription
# ---------------------------------------------------------------------------
TABLE_DDL='CREATE TABLE events (id bigserial PRIMARY KEY, record_id text NOT NULL, body bytea NOT NULL)'
for dir in "$PUB_DIR" "$SUB_DIR"; do
    PSQL_DB=postgres psql_on "$dir" -c "CREATE DATABASE $DB"
    psql_on "$dir" -c "$TABLE_DDL"
done
# Measurement column, subscriber only: the apply worker fills columns the
# publisher does not send with their default, evaluated per row, so each row
# records when it was applied (polling alone cannot see the first rows: the
# first poll is only possible once the subscriber accepts connections).
sub_sql "ALTER TABLE events ADD COLUMN applied_at timestamptz NOT NULL DEFAULT clock_timestamp()"
pub_sql "CREATE ROLE $REPL_USER LOGIN REPLICATION"
pub_sql "GRANT SELECT ON events TO $REPL_USER"
pub_sql "CREATE PUBLICATION $PUB_NAME FOR TABLE events"

# Catch-up poller, run on the subscriber: polls max(id) (primary-key lookup,
# cheap; count(*) over the table on every poll would compete with the apply
# worker for the 2 cores). Equivalent to comparing counts here: ids are
# assigned in commit order by one session and the apply worker commits in
# publisher commit order, so the subscriber always holds a prefix.
# Each statement in a VOLATILE plpgsql function takes a fresh snapshot.
sub_sql "$(cat <<'EOF'
CREATE FUNCTION bench_wait_catchup(baseline bigint, target bigint, deadline float8, poll_s float8)
RETURNS TABLE (started_at float8, first_at float8, first_max bigint, done_at float8)
LANGUAGE plpgsql VOLATILE AS $f$
DECLARE
    m bigint;
    t float8;
BEGIN
    started_at := extract(epoch FROM clock_timestamp());
    LOOP
        SELECT coalesce(max(id), 0) INTO m FROM events;
        t := extract(epoch FROM clock_timestamp());
        IF first_at IS NULL AND m > baseline THEN
            first_at := t;
            first_max := m;
        END IF;
        IF m >= target THEN
            done_at := t;
            RETURN NEXT;
            RETURN;
        END IF;
        IF t > deadline THEN
            RAISE EXCEPTION 'catch-up timed out: subscriber has max(id) = % of %', m, target;
        END IF;
        PERFORM pg_sleep(poll_s);
    END LOOP;
END
$f$
EOF
)"

if ((ASYNC_APPLY)); then SUB_SYNC=off; else SUB_SYNC=on; fi
CONNINFO="host=localhost hostaddr=127.0.0.1 port=$PUB_PORT dbname=$DB user=$REPL_USER sslmode=verify-full sslcert=$CERTS/client.crt sslkey=$CERTS/client.key sslrootcert=$CERTS/ca.crt application_name=$SUB_NAME connect_timeout=10"
psql_on "$SUB_DIR" -c "SET client_min_messages = warning" -c "CREATE SUBSCRIPTION $SUB_NAME CONNECTION '$CONNINFO' PUBLICATION $PUB_NAME WITH (synchronous_commit = '$SUB_SYNC')"
log "subscription created (apply synchronous_commit = $SUB_SYNC)"

# ---------------------------------------------------------------------------
# Wait for streaming and a probe row
# ---------------------------------------------------------------------------
is_streaming() {
    [[ $(pub_sql "SELECT count(*) FROM pg_stat_replication WHERE application_name = '$SUB_NAME' AND state = 'streaming'") == 1 ]] &&
    [[ $(sub_sql "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'") == 0 ]]
}
wait_for "subscription streaming and initial table sync done" is_streaming

SSL_INFO=$(pub_sql "SELECT s.version || ' ' || s.cipher || ' client_dn=' || coalesce(s.client_dn, '(none)')
                    FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)
                    WHERE r.application_name = '$SUB_NAME' AND s.ssl")
[[ -n $SSL_INFO ]] || die "replication connection is not using TLS"
log "replication connection: $SSL_INFO"

BODY_EXPR="convert_to(lpad(g::text, 20, '0'), 'UTF8') || substring(decode(repeat(md5(g::text), 37), 'hex') FROM 1 FOR 580)"
BASELINE=$(pub_sql "INSERT INTO events (record_id, body) SELECT 'probe', $BODY_EXPR FROM (VALUES (0::bigint)) v(g) RETURNING id")
probe_arrived() { [[ $(sub_sql "SELECT count(*) FROM events WHERE id = $BASELINE") == 1 ]]; }
wait_for "probe row at the subscriber" probe_arrived
log "probe row (id $BASELINE) replicated; stopping the subscriber"

as_pg "$PG_BIN/pg_ctl" stop -D "$SUB_DIR" -m fast -w -t "$SETUP_TIMEOUT" >/dev/null || die "could not stop the subscriber"

# ---------------------------------------------------------------------------
# Commit N rows in T transactions while the subscriber is away
# ---------------------------------------------------------------------------
log "committing $ROWS rows in $TXNS transactions on the publisher"
t_pub0=$(now)
pub_sql "$(cat <<EOF
DO \$\$
DECLARE
    n bigint := $ROWS;
    t bigint := $TXNS;
    base bigint := 0;
    k bigint;
BEGIN
    FOR i IN 0 .. t - 1 LOOP
        k := n / t + CASE WHEN i < n % t THEN 1 ELSE 0 END;
        INSERT INTO events (record_id, body)
            SELECT 'rec-' || (g % 997), $BODY_EXPR
            FROM generate_series(base + 1, base + k) g;
        base := base + k;
        COMMIT;
    END LOOP;
END
\$\$
EOF
)"
t_pub1=$(now)
PUB_STATE=$(pub_sql "SELECT count(*), max(id) FROM events")
IFS='|' read -r PUB_COUNT TARGET <<<"$PUB_STATE"
((PUB_COUNT == ROWS + 1)) || die "publisher has $PUB_COUNT rows, expected $((ROWS + 1))"
PUB_SECS=$(fsub "$t_pub1" "$t_pub0")
log "publisher committed $ROWS rows in ${PUB_SECS}s ($(awk -v n="$TXNS" -v s="$PUB_SECS" 'BEGIN { printf "%.0f", n / s }') commits/s); WAL retained by the slot: $(pub_sql "SELECT pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)) FROM pg_replication_slots WHERE slot_name = '$SUB_NAME'")"

# ---------------------------------------------------------------------------
# Start the subscriber and time the catch-up
# ---------------------------------------------------------------------------
SUB_LOG_LINES=$(wc -l <"$WORK/sub.log")
PUB_LOG_LINES=$(wc -l <"$WORK/pub.log")
log "starting the subscriber"
t0=$(now)
start_instance "$SUB_DIR" sub -W
deadline=$((SECONDS + CATCHUP_TIMEOUT))
deadline_epoch=$(awk -v a="$t0" -v b="$CATCHUP_TIMEOUT" 'BEGIN { printf "%.6f", a + b }')
# Start the poller as soon as the server takes connections: retry while the
# connection fails (psql exit code 2: not up yet / "starting up").
# The function enforces the deadline itself; timeout(1) is the backstop.
attempts=0
while :; do
    attempts=$((attempts + 1))
    rc=0
    RESULT=$(timeout $((CATCHUP_TIMEOUT + 30)) "${AS_PG[@]}" "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 \
            -h "$SUB_DIR" -p "$SUB_PORT" -U postgres -d "$DB" \
            -c "SELECT started_at, first_at, first_max, done_at FROM bench_wait_catchup($BASELINE, $TARGET, $deadline_epoch, $POLL_INTERVAL)" \
            2>"$WORK/poll.err") || rc=$?
    ((rc == 0)) && break
    if ((rc == 2 && SECONDS < deadline)); then
        sleep "$POLL_INTERVAL"
        continue
    fi
    cat "$WORK/poll.err" >&2
    tail -n 30 "$WORK/sub.log" >&2
    die "subscriber did not catch up within ${CATCHUP_TIMEOUT}s (psql exit $rc)"
done
IFS='|' read -r POLL_START FIRST_AT FIRST_MAX DONE_AT <<<"$RESULT"
[[ -n $DONE_AT && -n $FIRST_AT ]] || die "unexpected poller result '$RESULT'"

SUB_COUNT=$(sub_sql "SELECT count(*) FROM events")
((SUB_COUNT == PUB_COUNT)) || die "after catch-up the subscriber has $SUB_COUNT rows, the publisher $PUB_COUNT"

log "subscriber log since start:"
tail -n +"$((SUB_LOG_LINES + 1))" "$WORK/sub.log" | sed 's/^/[pg-catchup]   sub| /' >&2
log "publisher log since subscriber start:"
tail -n +"$((PUB_LOG_LINES + 1))" "$WORK/pub.log" | sed 's/^/[pg-catchup]   pub| /' >&2

# Rows in the first transaction (the remainder goes to the first ones).
FIRST_TXN_ROWS=$((ROWS / TXNS + (ROWS % TXNS > 0 ? 1 : 0)))
# first_txn_at: the first transaction's last row applied (it commits and is
# visible right after); first_row_at / last_row_at: first and last row applied.
PM_START=$(sub_sql "SELECT extract(epoch FROM pg_postmaster_start_time())")
APPLIED=$(sub_sql "
    SELECT extract(epoch FROM (SELECT applied_at FROM events WHERE id > $BASELINE ORDER BY id OFFSET $((FIRST_TXN_ROWS - 1)) LIMIT 1)),
           extract(epoch FROM min(applied_at)), extract(epoch FROM max(applied_at))
    FROM events WHERE id > $BASELINE")
IFS='|' read -r FIRST_TXN_AT FIRST_ROW_AT LAST_ROW_AT <<<"$APPLIED"
[[ -n $FIRST_TXN_AT && -n $FIRST_ROW_AT && -n $LAST_ROW_AT ]] || die "could not read apply times from the subscriber ('$APPLIED')"

awk -v t0="$t0" -v pm_start="$PM_START" -v poll_start="$POLL_START" -v attempts="$attempts" -v poll_first="$FIRST_AT" -v poll_first_max="$FIRST_MAX" -v base="$BASELINE" \
    -v done_="$DONE_AT" -v first_row="$FIRST_ROW_AT" -v first_txn="$FIRST_TXN_AT" -v last_row="$LAST_ROW_AT" '
BEGIN {
    printf "[pg-catchup] timings from subscriber start (pg_ctl start):\n" > "/dev/stderr"
    printf "[pg-catchup]   %.3fs postmaster started (pg_postmaster_start_time)\n", pm_start - t0 > "/dev/stderr"
    printf "[pg-catchup]   %.3fs poller connected (after %d attempts)\n", poll_start - t0, attempts > "/dev/stderr"
    printf "[pg-catchup]   %.3fs first new row applied\n", first_row - t0 > "/dev/stderr"
    printf "[pg-catchup]   %.3fs first transaction applied (pg_first_row_seconds)\n", first_txn - t0 > "/dev/stderr"
    printf "[pg-catchup]   %.3fs first poll that saw new rows (%d of them)\n", poll_first - t0, poll_first_max - base > "/dev/stderr"
    printf "[pg-catchup]   %.3fs last row applied\n", last_row - t0 > "/dev/stderr"
    printf "[pg-catchup]   %.3fs poll saw every row (pg_catchup_seconds)\n", done_ - t0 > "/dev/stderr"
}'

# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------
printf 'pg_version=%s\n' "$PG_VERSION"
printf 'pg_rows=%s\n' "$ROWS"
printf 'pg_transactions=%s\n' "$TXNS"
awk -v t0="$t0" -v first="$FIRST_TXN_AT" -v done_="$DONE_AT" -v rest="$((ROWS - FIRST_TXN_ROWS))" '
BEGIN {
    printf "pg_catchup_seconds=%.3f\n", done_ - t0
    printf "pg_first_row_seconds=%.3f\n", first - t0
    dt = done_ - first
    if (rest <= 0 || dt <= 0) printf "pg_apply_rows_per_second=inf\n"
    else printf "pg_apply_rows_per_second=%.1f\n", rest / dt
}'
