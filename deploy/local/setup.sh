#!/usr/bin/env bash
# System setup of a fresh Debian 12 machine for the local stack (`warmcity stack up`).
#
# Installs, only when missing: ClickHouse (Debian's clickhouse-server + clickhouse-client), a Java 17+
# runtime (openjdk-17-jre-headless) and Maven (fetches the Kafka jars once). Safe to run again: what is
# present is left alone. Runs as root, or re-runs itself through sudo when that exists.
#
# The stack runs its own ClickHouse under its run directory (ports 19000/18123), never Debian's service.
# The package would start that service on install; a temporary policy-rc.d stops it from doing so, and a
# system server started anyway (ports 9000/8123/9009) would not conflict with ours.
set -euo pipefail

say() { printf 'setup: %s\n' "$*"; }

if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        say "not root: running again through sudo"
        exec sudo -- bash "$0" "$@"
    fi
    say "must run as root (no sudo found)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
packages=()

have_clickhouse() {
    local name
    for name in clickhouse-server clickhouse; do
        command -v "$name" >/dev/null 2>&1 && return 0
        [[ -x /usr/sbin/$name ]] && return 0
    done
    return 1
}

java_major() {
    # 'version "17.0.15"' is 17; 'version "1.8.0_402"' is 8.
    local version
    version=$(java -version 2>&1 | grep -oE 'version "[0-9]+(\.[0-9]+)?' | head -n1 | grep -oE '[0-9.]+$' || true)
    case $version in
        1.*) echo "${version#1.}" ;;
        *) echo "${version%%.*}" ;;
    esac
}

if have_clickhouse; then
    say "ClickHouse present: $(command -v clickhouse-server || command -v clickhouse || echo /usr/sbin/clickhouse-server)"
else
    packages+=(clickhouse-server clickhouse-client)
fi

if command -v java >/dev/null 2>&1 && [[ $(java_major) -ge 17 ]]; then
    say "Java present: $(java -version 2>&1 | head -n1)"
else
    packages+=(openjdk-17-jre-headless)
fi

if command -v mvn >/dev/null 2>&1; then
    say "Maven present: $(mvn -v 2>/dev/null | head -n1 | sed 's/\x1b\[[0-9;]*m//g')"
else
    packages+=(maven)
fi

if [[ ${#packages[@]} -eq 0 ]]; then
    say "nothing to install"
    exit 0
fi

# Keep package scripts from starting system services (Debian's ClickHouse) while we install.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# Temporary, from warmcity deploy/local/setup.sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
fi

say "apt-get update"
apt-get update -q
say "installing: ${packages[*]}"
apt-get install -y -q --no-install-recommends "${packages[@]}"

# Debian's service runs as the clickhouse user; ours runs as whoever runs `stack up`.
if pgrep -u clickhouse clickhouse >/dev/null 2>&1; then
    say "note: Debian's clickhouse-server service is running (ports 9000/8123/9009); the stack does not use it"
    say "      and does not conflict with it. To stop it: service clickhouse-server stop"
fi

java -version 2>&1 | head -n1 | sed 's/^/setup: java: /'
say "done; next: warmcity stack up"
