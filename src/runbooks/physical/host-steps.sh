#!/usr/bin/env bash
# The host side of a physical rebuild: every command the physical strategy runs on a database
# host, in one file, so the same steps run through any agent (a child process for `agent: local`,
# SSM Run Command for `agent: { ssm: ... }`). One subcommand per step; each does one thing, exits
# non-zero with its reason on stderr, and is safe to run again after a run was killed half-way.
#
#   host-steps.sh tools                          which backup tools this host has (one per line)
#   host-steps.sh layout DATADIR                 the datadir's real path, and the bytes free beside it
#                                                (where the new datadir is extracted), one per line
#   host-steps.sh data-bytes DATADIR             the bytes a backup of DATADIR copies (binary logs left out)
#   host-steps.sh backup TOOL SOCKET_OR_HOST PORT USER PASSWORD_FROM [--slave-info]
#                                                a backup of the local server, streamed to stdout
#   host-steps.sh send TOOL SOCKET_OR_HOST PORT USER PASSWORD_FROM TO_HOST TO_PORT IDLE_S [--slave-info]
#                                                the same backup, sent over TCP to a `listen` on TO_HOST
#   host-steps.sh receive TOOL NEWDIR            extract a stream from stdin into NEWDIR (made empty first)
#   host-steps.sh listen TOOL NEWDIR PORT FROM_HOST IDLE_S
#                                                extract the stream one `send` from FROM_HOST sends to PORT
#   host-steps.sh prepare TOOL NEWDIR            apply the redo log: NEWDIR becomes a datadir
#   host-steps.sh position NEWDIR                the backup's GTID position (replica donor: its slave position)
#   host-steps.sh source-account DATADIR         the replication user and password the server's master.info holds
#   host-steps.sh swap DATADIR NEWDIR ASIDE      DATADIR moved aside to ASIDE, NEWDIR put in its place
#   host-steps.sh put-back DATADIR ASIDE         the old datadir back where it was (the new one removed)
#   host-steps.sh discard DIR                    remove a directory this rebuild made
#   host-steps.sh service COMMAND...             run the server's start or stop command
#
# PASSWORD_FROM is where the backup's password is, never the password (argv is shown to every user
# by ps, and an SSM command's parameters are kept in its history): `-` the first line of stdin,
# `ssm:/path` a SecureString parameter, `secret:ID` a Secrets Manager secret (its JSON `password`
# field, as RDS writes them), both read with this host's own AWS credentials (its instance role).
# Across hosts the stream is socat over TCP: the listener takes one connection, from FROM_HOST's
# address only, and either side gives up after IDLE_S seconds without a byte.
set -euo pipefail

die() {
  echo "host-steps: $*" >&2
  exit 1
}

# A path the steps may remove or move: absolute, not the root or a top-level directory.
safe_path() {
  case "$1" in
    /*/*) ;;
    *) die "refusing the path '$1': expected an absolute path below a top-level directory" ;;
  esac
}

backup_tool() {
  case "$1" in
    mariabackup | xtrabackup) command -v "$1" >/dev/null || die "$1 is not installed on $(hostname)" ;;
    *) die "unknown backup tool '$1'" ;;
  esac
}

stream_tool() {
  if [ "$1" = mariabackup ]; then echo mbstream; else echo xbstream; fi
}

password_from() {
  case "$1" in
    -) IFS= read -r password || true ;;
    ssm:*)
      command -v aws >/dev/null || die "the AWS CLI is not installed on $(hostname): it reads the password from $1"
      password="$(aws ssm get-parameter --with-decryption --name "${1#ssm:}" --query Parameter.Value --output text)" || die "could not read $1 with this host's credentials"
      ;;
    secret:*)
      command -v aws >/dev/null || die "the AWS CLI is not installed on $(hostname): it reads the password from $1"
      password="$(aws secretsmanager get-secret-value --secret-id "${1#secret:}" --query SecretString --output text)" || die "could not read $1 with this host's credentials"
      # A JSON secret's password field; a plain password that merely starts with { is kept as it is.
      if [ "${password#\{}" != "$password" ] && command -v python3 >/dev/null; then
        field="$(printf '%s' "$password" | python3 -c 'import json, sys
try:
    v = json.load(sys.stdin)
except ValueError:
    sys.exit(1)
if not (isinstance(v, dict) and isinstance(v.get("password"), str)):
    sys.exit(1)
print(v["password"])' 2>/dev/null)" && password="$field"
      fi
      ;;
    *) die "unknown password source (expected -, ssm:/path or secret:ID)" ;;
  esac
}

# The backup of this host's server, streamed to stdout. Its arguments: TOOL SOCKET_OR_HOST PORT
# USER, then the tool's own extra flags.
run_backup() {
  local tool="$1" where="$2" port="$3" user="$4"
  shift 4
  local tmp conn
  tmp="$(mktemp -d)"
  if [ "${where#/}" != "$where" ]; then conn=(--socket="$where"); else conn=(--host="$where" --port="$port"); fi
  # The password through the environment the tool reads, not argv.
  MYSQL_PWD="$password" "$tool" --backup --stream=xbstream --target-dir="$tmp" "${conn[@]}" --user="$user" "$@" || {
    local rc=$?
    rm -rf "$tmp"
    return $rc
  }
  rm -rf "$tmp"
}

# Extract a stream from stdin into a new, empty directory.
extract() {
  local tool="$1" dir="$2"
  safe_path "$dir"
  rm -rf "$dir"
  mkdir -p "$dir"
  "$(stream_tool "$tool")" -x -C "$dir"
}

need_socat() {
  command -v socat >/dev/null || die "socat is not installed on $(hostname): it carries the stream between the hosts"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  tools)
    for t in mariabackup mbstream xtrabackup xbstream socat; do
      if command -v "$t" >/dev/null; then echo "$t"; fi
    done
    ;;
  layout)
    [ -d "$1" ] || die "no directory $1"
    real="$(realpath "$1")"
    echo "$real"
    df -P -B1 "$(dirname "$real")/" | awk 'NR == 2 { print $4 }'
    ;;
  data-bytes)
    [ -d "$1" ] || die "no directory $1"
    du -sb --exclude='*-bin.[0-9]*' --exclude='*relay-bin*' "$1/" | awk '{ print $1 }'
    ;;
  backup)
    backup_tool "$1"
    password_from "$5"
    run_backup "$1" "$2" "$3" "$4" "${@:6}"
    ;;
  send)
    backup_tool "$1"
    need_socat
    password_from "$5"
    to="$6" to_port="$7" idle="$8"
    # The listener may start a moment after this (two commands sent at once): connecting is retried for a minute.
    run_backup "$1" "$2" "$3" "$4" "${@:9}" | socat -u -T "$idle" STDIN "TCP:$to:$to_port,connect-timeout=10,retry=60,interval=1"
    ;;
  receive)
    backup_tool "$1"
    extract "$1" "$2"
    ;;
  listen)
    tool="$1" dir="$2" port="$3" from="$4" idle="$5"
    backup_tool "$tool"
    need_socat
    from_ip="$(getent ahostsv4 "$from" | awk 'NR == 1 { print $1 }')"
    [ -n "$from_ip" ] || die "cannot resolve the donor's host $from"
    socat -u -T "$idle" "TCP-LISTEN:$port,reuseaddr,accept-timeout=$idle,range=$from_ip/32" STDOUT | extract "$tool" "$dir"
    ;;
  prepare)
    tool="$1" dir="$2"
    backup_tool "$tool"
    [ -f "$dir/xtrabackup_checkpoints" ] || die "$dir holds no complete backup (no xtrabackup_checkpoints): stream it again"
    "$tool" --prepare --target-dir="$dir"
    ;;
  position)
    dir="$1"
    if [ -s "$dir/xtrabackup_slave_info" ] && grep -q "gtid_slave_pos" "$dir/xtrabackup_slave_info"; then
      sed -n "s/.*gtid_slave_pos *= *'\([^']*\)'.*/\1/p" "$dir/xtrabackup_slave_info" | head -1
    elif [ -s "$dir/xtrabackup_binlog_info" ]; then
      # MariaDB: file, position, GTID position on one line. MySQL: the third field is a GTID set,
      # which xtrabackup wraps over several lines (one per server uuid).
      awk -F'\t' 'NR == 1 { printf "%s", $3; next } { printf "%s", $0 }' "$dir/xtrabackup_binlog_info" | tr -d ' \n'
      echo
    else
      die "$dir has neither xtrabackup_slave_info nor xtrabackup_binlog_info: the backup's position is unknown"
    fi
    ;;
  source-account)
    # MariaDB's master.info: line 4 the host, 5 the user, 6 the password.
    [ -f "$1/master.info" ] || die "$1/master.info is missing: configure clusters[].replication (user, password) for the rebuilt replica"
    sed -n '5p;6p' "$1/master.info"
    ;;
  swap)
    datadir="${1%/}" new="${2%/}" aside="${3%/}"
    safe_path "$datadir"
    safe_path "$new"
    safe_path "$aside"
    # A run killed inside this step: finish what it started.
    if [ -e "$aside" ] && [ -d "$datadir" ] && [ ! -d "$new" ]; then exit 0; fi
    if [ -e "$aside" ] && [ ! -e "$datadir" ] && [ -d "$new" ]; then
      mv "$new" "$datadir"
      chown -R "$(stat -c %u:%g "$aside")" "$datadir"
      exit 0
    fi
    [ -d "$new" ] || die "no new datadir $new to put in place"
    [ ! -e "$aside" ] || die "$aside exists already: an earlier rebuild's old datadir; move it away first"
    owner="$(stat -c %u:%g "$datadir")"
    mode="$(stat -c %a "$datadir")"
    # The server reads only its own datadir: the backup's bookkeeping and the donor's replication
    # state (relay logs, master.info) do not belong in it.
    rm -f "$new"/xtrabackup_* "$new"/backup-my.cnf "$new"/*relay-bin* "$new"/relay-log*.info "$new"/master*.info "$new"/multi-master.info
    mv "$datadir" "$aside"
    # put-back restores only a directory this step moved aside, never one an earlier run left.
    touch "$aside/.replwatch-aside"
    mv "$new" "$datadir"
    chown -R "$owner" "$datadir"
    chmod "$mode" "$datadir"
    ;;
  put-back)
    datadir="${1%/}" aside="${2%/}"
    safe_path "$datadir"
    safe_path "$aside"
    [ -d "$aside" ] || exit 0 # nothing was moved aside: the old datadir never left its place
    [ -f "$aside/.replwatch-aside" ] || die "$aside was not moved aside by this rebuild: it and $datadir are left as they are"
    rm -rf "$datadir"
    mv "$aside" "$datadir"
    rm -f "$datadir/.replwatch-aside"
    ;;
  discard)
    safe_path "$1"
    rm -rf "$1"
    ;;
  service)
    [ $# -gt 0 ] || die "no service command"
    bash -c "$*"
    ;;
  *)
    die "unknown step '$cmd'"
    ;;
esac
