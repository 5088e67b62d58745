#!/usr/bin/env bash
# Tools of the deployment tests (tests/deploy), of tests/integration/test_prometheus.py and of the cluster
# migrations test: promtool, the prometheus server binary, kustomize and ZooKeeper's jars, into the project's
# tool cache.
#
#   promtool,  from Debian's `prometheus` package, downloaded with apt-get and unpacked with dpkg -x into
#   prometheus <tools>/prometheus/<version>/ (the package is not installed: no service, no user, no unit);
#              both already on PATH (the package installed by hand) are used as they are.
#   kustomize  sigs.k8s.io/kustomize/kustomize/v5 at KUSTOMIZE_VERSION, built with `go install` from the
#              Go module proxy into <tools>/kustomize/<version>/.
#   zookeeper  the Apache ZooKeeper server jars at ZOOKEEPER_VERSION, fetched from Maven Central with
#              deploy/local/zookeeper/pom.xml (Maven and Java come with setup.sh) into
#              <tools>/zookeeper/<version>/: the coordination service of the ClickHouse cluster that
#              tests/integration/test_migrate_cluster.py starts (tests/integration/cluster.py).
#   python     kubernetes-validate (the Kubernetes JSON schemas, offline) and types-PyYAML come with the
#              project's dev extras (pyproject.toml); installed into .venv here if it lacks them.
#
# <tools> is WARMCITY_TOOLS_DIR, default ~/.cache/warmcity/tools; <tools>/bin/ gets a link to each tool, and
# the tests look there. Idempotent: what is present is left alone. `make setup` runs it (target `tools`).
set -euo pipefail

KUSTOMIZE_VERSION=${KUSTOMIZE_VERSION:-v5.8.1}
ZOOKEEPER_VERSION=${ZOOKEEPER_VERSION:-3.8.4}
TOOLS_DIR=${WARMCITY_TOOLS_DIR:-$HOME/.cache/warmcity/tools}
VENV=${VENV:-.venv}
BIN_DIR=$TOOLS_DIR/bin

say() { printf 'tools: %s\n' "$*"; }
die() { printf 'tools: %s\n' "$*" >&2; exit 1; }

mkdir -p "$BIN_DIR"

install_promtool() {
    local system server version dir deb work
    if [[ -x $BIN_DIR/promtool ]] && "$BIN_DIR/promtool" --version >/dev/null 2>&1 \
        && [[ -x $BIN_DIR/prometheus ]] && "$BIN_DIR/prometheus" --version >/dev/null 2>&1; then
        say "promtool and prometheus present: $("$BIN_DIR/prometheus" --version 2>&1 | head -n1)"
        return
    fi
    system=$(command -v promtool || true)
    server=$(command -v prometheus || true)
    if [[ -n $system && -n $server ]]; then
        ln -sfn "$system" "$BIN_DIR/promtool"
        ln -sfn "$server" "$BIN_DIR/prometheus"
        say "promtool and prometheus: using $system and $server"
        return
    fi
    version=$(apt-cache policy prometheus 2>/dev/null | awk '/Candidate:/ {print $2}')
    if [[ -z $version || $version == "(none)" ]]; then
        [[ $(id -u) -eq 0 ]] || die "Debian's package lists do not know 'prometheus': run 'apt-get update' as root, then this again"
        say "apt-get update (no candidate for prometheus yet)"
        apt-get update -q >/dev/null
        version=$(apt-cache policy prometheus | awk '/Candidate:/ {print $2}')
        [[ -n $version && $version != "(none)" ]] || die "no Debian package 'prometheus' in the configured sources"
    fi
    dir=$TOOLS_DIR/prometheus/${version//[:+~]/_}
    if [[ ! -x $dir/usr/bin/promtool ]]; then
        work=$(mktemp -d)
        # apt-get download writes into the current folder; _apt cannot write to a root-only temp folder.
        chmod 755 "$work"
        say "downloading Debian's prometheus $version (promtool only is used)"
        (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "prometheus=$version" >/dev/null)
        deb=$(ls "$work"/prometheus_*.deb)
        mkdir -p "$dir"
        dpkg -x "$deb" "$dir"
        rm -rf "$work"
    fi
    ln -sfn "$dir/usr/bin/promtool" "$BIN_DIR/promtool"
    ln -sfn "$dir/usr/bin/prometheus" "$BIN_DIR/prometheus"
    say "promtool: $("$BIN_DIR/promtool" --version 2>&1 | head -n1)"
    say "prometheus: $("$BIN_DIR/prometheus" --version 2>&1 | head -n1)"
}

install_kustomize() {
    local dir=$TOOLS_DIR/kustomize/$KUSTOMIZE_VERSION
    if [[ ! -x $dir/kustomize ]]; then
        command -v go >/dev/null 2>&1 || die "Go not found: kustomize is built with 'go install' (Go 1.22 or newer)"
        say "building kustomize $KUSTOMIZE_VERSION with go install (first run only, about a minute)"
        mkdir -p "$dir"
        # GOTOOLCHAIN=local: build with this machine's Go rather than fetch another toolchain.
        GOTOOLCHAIN=local GOBIN=$dir go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
    fi
    ln -sfn "$dir/kustomize" "$BIN_DIR/kustomize"
    say "kustomize: $("$BIN_DIR/kustomize" version)"
}

install_zookeeper() {
    local dir=$TOOLS_DIR/zookeeper/$ZOOKEEPER_VERSION partial
    if [[ -e $dir/.complete ]]; then
        say "zookeeper: $ZOOKEEPER_VERSION jars present in $dir"
        return
    fi
    command -v mvn >/dev/null 2>&1 || die "Maven not found: ZooKeeper's jars are fetched with it (run deploy/local/setup.sh)"
    partial=$dir.partial-$$
    rm -rf "$partial"
    say "fetching ZooKeeper $ZOOKEEPER_VERSION jars from Maven Central (first run only)"
    mvn -q -B -Dstyle.color=never -f deploy/local/zookeeper/pom.xml dependency:copy-dependencies \
        -DoutputDirectory="$partial" -DincludeScope=runtime -Dzookeeper.version="$ZOOKEEPER_VERSION" >/dev/null
    ls "$partial"/zookeeper-"$ZOOKEEPER_VERSION".jar >/dev/null
    echo "zookeeper $ZOOKEEPER_VERSION" >"$partial/.complete"
    rm -rf "$dir"
    mv "$partial" "$dir"
    say "zookeeper: $ZOOKEEPER_VERSION jars in $dir"
}

install_python() {
    if [[ ! -x $VENV/bin/python ]]; then
        say "no $VENV yet: the Python packages come with 'make venv'"
        return
    fi
    if "$VENV/bin/python" -c 'import kubernetes_validate, yaml' 2>/dev/null; then
        say "python: kubernetes-validate $("$VENV/bin/python" -c 'import kubernetes_validate.version as v; print(v.__version__)')"
        return
    fi
    say "python: installing the dev extras into $VENV"
    "$VENV/bin/pip" install -q -e ".[dev]"
}

install_promtool
install_kustomize
install_zookeeper
install_python
say "done: tools in $BIN_DIR"
