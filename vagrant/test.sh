#!/bin/bash
# `make vagrant-test`: the Vagrant lab's failover drill (vagrant/README.md) in two
# real Debian 12 VMs under real systemd, checked step by step, then everything
# destroyed. Run as root from anywhere:
#
#   vagrant/test.sh             the whole test (10-20 minutes without KVM)
#   vagrant/test.sh prepare     only what is cached: Debian packages, the wheelhouse
#                               and the box (no libvirtd, no VM)
#   vagrant/test.sh dry-run     prepare, then start libvirtd, set up the storage
#                               pool, check the Vagrantfile against libvirt, and
#                               tear it all down, without booting a VM
#
# What it does:
#   1. installs the Debian packages it needs (only those missing);
#   2. builds (or reuses) a wheelhouse of vrrpd's Python dependencies and a
#      Debian 12 box made with debootstrap (vagrant/build-box.sh), both cached in
#      $VRRPD_VAGRANT_CACHE (default /var/cache/vrrpd-vagrant); the VMs reach
#      nothing but the host, so they install from these alone;
#   3. starts virtlogd and libvirtd unless a libvirtd already answers, and a
#      storage pool of its own in the cache;
#   4. `vagrant up` of lb1 and lb2 with vagrant-libvirt: QEMU with KVM when the CPU
#      offers it, plain emulation (TCG) otherwise; the provisioning installs vrrpd
#      with `make install` and starts it under systemd;
#   5. the drill, each step asserted: election, `vrrpctl status`, the VIP seen from
#      the host, HAProxy stopped (the VIP moves to lb2) and started (it comes
#      back), `systemctl reload`, a hung vrrpd restarted by systemd's watchdog, a
#      reboot of lb1; the notify hook's lines in the journal along the way;
#   6. destroys the VMs, their networks and volumes, undefines its pool, and stops
#      the libvirtd and virtlogd it started, by PID. Also when a step fails or
#      the run is interrupted.
#
# Its log, and on failure what each VM said (vrrpctl, systemctl, journal, console),
# are kept in a directory it names at the end (under /var/tmp).
#
# Environment (all optional):
#   VRRPD_VAGRANT_CACHE    cache directory (default /var/cache/vrrpd-vagrant)
#   VRRPD_LAB_NET          the lab's /24 (default: the first of 192.0.2.0/24,
#                          198.51.100.0/24, 203.0.113.0/24 this host does not use)
#   VRRPD_LIBVIRT_DRIVER   kvm or qemu (default: kvm if the CPU has vmx/svm)
#   VRRPD_VAGRANT_PARALLEL 0 boots the VMs one after the other (default 1)
set -Eeuo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HERE=$REPO/vagrant
CACHE=${VRRPD_VAGRANT_CACHE:-/var/cache/vrrpd-vagrant}
MODE=${1:-test}
PACKAGES=(
    vagrant vagrant-libvirt libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils
    debootstrap e2fsprogs dnsmasq-base ebtables iptables rsync openssh-client curl python3-venv
)
# Names of its own, apart from a lab someone runs by hand (vrrpd-lab-*).
PREFIX=vrrpd-test-
POOL=vrrpd-test
NODES=(lb1 lb2)
INSTANCE=VI_WEB
# Set along the way; the teardown reads them whatever step failed.
BOX_NAME="" LAB_NET="" VIP="" DRIVER="" WHEELHOUSE="" MGMT_NET=""

case $MODE in
    test | prepare | dry-run) ;;
    *)
        echo "usage: $0 [prepare|dry-run]" >&2
        exit 2
        ;;
esac

# --------------------------------------------------------------------- output

RUN=$(mktemp -d /var/tmp/vrrpd-vagrant-test.XXXXXX)
# QEMU, running as libvirt's user, writes the consoles in here.
chmod 0755 "$RUN"
mkdir -m 0755 "$RUN/console"
exec > >(tee -a "$RUN/test.log") 2>&1
T0=$SECONDS
# Messages go to stderr: they reach the log also from inside $(...).
log() { printf '[%s %5ss] %s\n' "$(date +%H:%M:%S)" $((SECONDS - T0)) "$*" >&2; }
phase() {
    printf '\n' >&2
    log "=== $*"
}
indent() { sed "s/^/    ${1:-}/"; }
fail() {
    echo "$*" > "$RUN/failed"
    log "FAILED: $*"
    exit 1
}
trap 'status=$?; log "command failed (exit $status) at line $LINENO: $BASH_COMMAND"' ERR

[ "$(id -u)" -eq 0 ] || fail "run me as root (libvirt, debootstrap and apt need it)"
[ "$(uname -m)" = x86_64 ] || fail "the box is built for x86_64, this is $(uname -m)"

# ---------------------------------------------------------- 1. Debian packages

install_packages() {
    phase "Debian packages"
    local missing=() package
    for package in "${PACKAGES[@]}"; do
        [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" = "install ok installed" ] ||
            missing+=("$package")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        log "all installed"
        return
    fi
    log "installing ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# ------------------------------------------------------------- 2. networks

# Is any address or route of this host inside, or around, the /24 $1?
# (Output is collected, not piped into `grep -q`: with pipefail, grep's early
# exit would fail the writer with SIGPIPE and read as "no".)
net_in_use() {
    local found
    found=$(
        ip -o -4 addr show to "$1"
        ip -4 route show root "$1"
        ip -4 route show match "$1" | sed '/^default/d'
    )
    [ -n "$found" ]
}

choose_networks() {
    phase "Networks"
    local candidate
    if [ -n "${VRRPD_LAB_NET:-}" ]; then
        LAB_NET=$VRRPD_LAB_NET
        ! net_in_use "$LAB_NET" || fail "VRRPD_LAB_NET=$LAB_NET overlaps this host's addresses or routes"
    else
        LAB_NET=""
        for candidate in 192.0.2.0/24 198.51.100.0/24 203.0.113.0/24; do
            if net_in_use "$candidate"; then
                log "$candidate is in use on this host ($(ip -o -4 addr show to "$candidate" | awk '{print $2, $4}' | head -n 1)); not that one"
            else
                LAB_NET=$candidate
                break
            fi
        done
        [ -n "$LAB_NET" ] || fail "this host uses all three documentation networks; set VRRPD_LAB_NET"
    fi
    MGMT_NET=""
    for candidate in 192.168.121.0/24 192.168.123.0/24 172.31.121.0/24; do
        if ! net_in_use "$candidate"; then
            MGMT_NET=$candidate
            break
        fi
    done
    [ -n "$MGMT_NET" ] || fail "no free /24 for libvirt's management network"
    LAB_PREFIX=${LAB_NET%.0/24}
    VIP=$LAB_PREFIX.100
    log "lab network $LAB_NET (lb1 $LAB_PREFIX.11, lb2 $LAB_PREFIX.12, VIP $VIP, host $LAB_PREFIX.1)"
    log "management network $MGMT_NET (isolated: the VMs reach only the host)"
}

# ------------------------------------------------------------- 3. wheelhouse

build_wheelhouse() {
    phase "Wheelhouse (vrrpd's Python dependencies, for pip in the VMs)"
    local key
    key=$(sha256sum "$REPO/pyproject.toml" | cut -c1-12)
    WHEELHOUSE=$CACHE/wheelhouse-$key
    if [ -f "$WHEELHOUSE/.complete" ]; then
        log "cached: $WHEELHOUSE"
        return
    fi
    mkdir -p "$CACHE"
    rm -rf "$WHEELHOUSE" "$WHEELHOUSE.partial" "$CACHE/wheel-venv"
    # pip needs PyPI here (the VMs will not). Built from a copy of the checkout,
    # which so gets no build/ or egg-info.
    if ! {
        python3 -m venv "$CACHE/wheel-venv" &&
            "$CACHE/wheel-venv/bin/python" -m pip install --disable-pip-version-check --upgrade pip &&
            rsync -a --exclude .git/ --exclude .venv/ --exclude build/ --exclude '*.egg-info/' \
                --exclude vagrant/.vagrant/ "$REPO/" "$RUN/src/" &&
            "$CACHE/wheel-venv/bin/python" -m pip wheel --disable-pip-version-check \
                --wheel-dir "$WHEELHOUSE.partial" "$RUN/src" setuptools wheel
    } > "$RUN/wheelhouse.log" 2>&1; then
        tail -n 30 "$RUN/wheelhouse.log" | indent >&2
        fail "building the wheelhouse failed (its log's end is above; all of it: $RUN/wheelhouse.log)"
    fi
    # vrrpd itself is built in the VM from the synced checkout, by make install. No
    # pip wheel: the VM's own pip does (make install's `pip install --upgrade pip`
    # then finds nothing newer, and skips it, which saves a minute of emulation).
    rm -f "$WHEELHOUSE.partial"/vrrpd-*.whl "$WHEELHOUSE.partial"/pip-*.whl
    rm -rf "$RUN/src"
    mv "$WHEELHOUSE.partial" "$WHEELHOUSE"
    touch "$WHEELHOUSE/.complete"
    log "built $WHEELHOUSE: $(find "$WHEELHOUSE" -name '*.whl' -printf '%f ')"
}

# -------------------------------------------------------------------- 4. box

vagrant_env() {
    export VAGRANT_HOME=$CACHE/vagrant.d
    export VAGRANT_DOTFILE_PATH=$RUN/dotvagrant
    export VAGRANT_CWD=$HERE
    export VAGRANT_CHECKPOINT_DISABLE=1
    export VAGRANT_DEFAULT_PROVIDER=libvirt
    export VRRPD_BOX=$BOX_NAME
    export VRRPD_OFFLINE=1
    export VRRPD_WHEELHOUSE=$WHEELHOUSE
    export VRRPD_LAB_NET=$LAB_NET
    export VRRPD_LIBVIRT_MGMT_NET=$MGMT_NET
    export VRRPD_LIBVIRT_POOL=$POOL
    export VRRPD_LIBVIRT_PREFIX=$PREFIX
    export VRRPD_LIBVIRT_DRIVER=$DRIVER
    export VRRPD_BOOT_TIMEOUT=900
    export VRRPD_CONSOLE_LOG_DIR=$RUN/console
}

ensure_box() {
    phase "Box (Debian 12 by debootstrap, cached)"
    local key box old
    key=$(sha256sum "$HERE/build-box.sh" | cut -c1-12)
    BOX_NAME=vrrpd/bookworm-$key
    box=$CACHE/box/vrrpd-bookworm-$key.box
    if [ -f "$box" ]; then
        log "cached: $box"
    else
        log "building $box (about 2-3 minutes; the .debs are cached for the next build)"
        rm -f "$CACHE"/box/vrrpd-bookworm-*.box
        VRRPD_DEB_CACHE=$CACHE/debs bash "$HERE/build-box.sh" "$box"
    fi
    vagrant_env
    local boxes
    boxes=$(vagrant box list 2>/dev/null || true)
    if grep -q "^$BOX_NAME " <<< "$boxes"; then
        log "box $BOX_NAME is added"
    else
        while read -r old; do
            log "removing the outdated box $old"
            vagrant box remove --force --all "$old" || true
        done < <(awk '$1 ~ /^vrrpd\/bookworm-/ { print $1 }' <<< "$boxes")
        vagrant box add --name "$BOX_NAME" "$box"
    fi
}

choose_driver() {
    if [ -n "${VRRPD_LIBVIRT_DRIVER:-}" ]; then
        DRIVER=$VRRPD_LIBVIRT_DRIVER
    elif [ -w /dev/kvm ] && grep -qE '\b(vmx|svm)\b' /proc/cpuinfo; then
        DRIVER=kvm
    else
        DRIVER=qemu
    fi
    log "libvirt driver: $DRIVER$([ "$DRIVER" = qemu ] && echo ' (no KVM: plain emulation, slow)')"
}

# ---------------------------------------------------------------- 5. libvirt

STARTED_PIDS=() # daemons this run started: "name:pid"
NETS_BEFORE=""  # libvirt networks active before this run
POOL_USED=0

virsh_() { virsh -q -c qemu:///system "$@"; }

# Is process $1 running (not gone, not a zombie waiting to be reaped)?
alive() {
    local state
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

start_daemon() {
    local name=$1 pidfile=$RUN/$1.pid pid
    "$name" -d -p "$pidfile" < /dev/null >> "$RUN/$name.log" 2>&1
    for _ in $(seq 50); do
        [ -s "$pidfile" ] && break
        sleep 0.1
    done
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -z "$pid" ] || ! alive "$pid"; then
        fail "$name did not start (no live pid in $pidfile; its output: $RUN/$name.log)"
    fi
    STARTED_PIDS+=("$name:$pid")
    log "started $name, pid $pid"
}

start_libvirt() {
    phase "libvirt"
    if virsh_ uri > /dev/null 2>&1; then
        log "a libvirtd answers already: using it (and leaving it running)"
        NETS_BEFORE=$(virsh_ net-list --name | sort)
    else
        if pgrep -x libvirtd > /dev/null; then
            fail "a libvirtd runs but does not answer on qemu:///system; stop it or fix it first"
        fi
        # Networks still up from an earlier libvirtd (their bridges outlive it) stay up.
        if [ -d /run/libvirt/network ]; then
            NETS_BEFORE=$(find /run/libvirt/network -maxdepth 1 -name '*.xml' -printf '%f\n' |
                sed 's/\.xml$//' | sort)
        fi
        pgrep -x virtlogd > /dev/null || start_daemon virtlogd
        start_daemon libvirtd
        for _ in $(seq 100); do
            virsh_ uri > /dev/null 2>&1 && break
            sleep 0.2
        done
        virsh_ uri > /dev/null || fail "libvirtd started but qemu:///system does not answer"
    fi
    # Defined here, or left by an interrupted run: either way undefined at the end.
    POOL_USED=1
    if ! virsh_ pool-info "$POOL" > /dev/null 2>&1; then
        mkdir -p "$CACHE/pool"
        virsh_ pool-define-as "$POOL" dir --target "$CACHE/pool" > /dev/null
    fi
    if ! grep -q 'State:.*running' <<< "$(virsh_ pool-info "$POOL")"; then
        virsh_ pool-start "$POOL" > /dev/null
    fi
    virsh_ pool-refresh "$POOL" > /dev/null
    log "storage pool $POOL in $CACHE/pool"
    remove_lab_objects # left by an interrupted run, if any
}

# This test's domains and networks, by their names (vrrpd-test-*): what an
# interrupted run may have left, and what the teardown removes if vagrant did not.
remove_lab_objects() {
    local domain net
    for domain in $(virsh_ list --all --name | grep "^$PREFIX" || true); do
        log "removing the domain $domain"
        virsh_ destroy "$domain" > /dev/null 2>&1 || true
        virsh_ undefine "$domain" > /dev/null 2>&1 || true
    done
    for net in "${PREFIX}net" "${PREFIX}mgmt"; do
        if virsh_ net-info "$net" > /dev/null 2>&1; then
            log "removing the network $net"
            virsh_ net-destroy "$net" > /dev/null 2>&1 || true
            virsh_ net-undefine "$net" > /dev/null 2>&1 || true
        fi
    done
}

# ---------------------------------------------------------------- teardown

collect_diagnostics() {
    local node dir=$RUN/diagnostics
    mkdir -p "$dir"
    log "collecting diagnostics into $dir"
    refresh_ssh_config || true
    for node in "${NODES[@]}"; do
        on_ "$node" 'vrrpctl status; vrrpctl status VI_WEB; systemctl --no-pager status vrrpd haproxy vrrpd-lab-backend; ip -br addr; journalctl -b -u vrrpd -u haproxy --no-pager -n 200; journalctl -t vrrpd-notify --no-pager' \
            > "$dir/$node.txt" 2>&1 || true
        if [ -f "/var/log/libvirt/qemu/$PREFIX$node.log" ]; then
            cp "/var/log/libvirt/qemu/$PREFIX$node.log" "$dir/$node-qemu.log"
        fi
    done
    for node in "${NODES[@]}"; do
        echo "----- $node: what it said (all of it in $dir/$node.txt)"
        head -n 40 "$dir/$node.txt" || true
        if [ -s "$RUN/console/$node.log" ]; then
            echo "----- $node: the end of its console ($RUN/console/$node.log)"
            tail -n 25 "$RUN/console/$node.log" | tr -d '\r' || true
        fi
    done
}

teardown() {
    local status=$? entry name pid net vol left i
    trap - ERR
    trap 'log "interrupt ignored: the teardown runs to its end"' INT TERM
    set +e
    phase "Teardown"
    if [ "$status" -ne 0 ] && [ "$MODE" = test ] && [ -d "$RUN/dotvagrant" ]; then
        collect_diagnostics
    fi
    if [ "$MODE" != prepare ] && [ -d "$RUN/dotvagrant" ]; then
        log "vagrant destroy -f"
        timeout 600 vagrant destroy -f > "$RUN/vagrant-destroy.log" 2>&1 ||
            log "vagrant destroy failed (see $RUN/vagrant-destroy.log); removing by name"
    fi
    if [ "$MODE" != prepare ] && virsh_ uri > /dev/null 2>&1; then
        remove_lab_objects
        # Networks this run's libvirtd started (an autostarted "default", say).
        for net in $(virsh_ net-list --name | sort); do
            if ! grep -qx "$net" <<< "$NETS_BEFORE"; then
                log "stopping the network $net (it was not up before this run)"
                virsh_ net-destroy "$net" > /dev/null
            fi
        done
        if [ "$POOL_USED" = 1 ]; then
            virsh_ pool-refresh "$POOL" > /dev/null 2>&1
            for vol in $(virsh_ vol-list "$POOL" 2>/dev/null | awk '{ print $1 }'); do
                # The box's volume stays in the cache (the next run saves its upload).
                case $vol in
                    "${BOX_NAME//\//-VAGRANTSLASH-}"_vagrant_box_image_*) ;;
                    *)
                        log "deleting the volume $vol"
                        virsh_ vol-delete --pool "$POOL" "$vol" > /dev/null
                        ;;
                esac
            done
            virsh_ pool-destroy "$POOL" > /dev/null 2>&1
            virsh_ pool-undefine "$POOL" > /dev/null 2>&1
            log "storage pool $POOL undefined (its directory $CACHE/pool keeps the box volume)"
        fi
    fi
    # Last started, first stopped: libvirtd before the virtlogd it logs through.
    for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do
        entry=${STARTED_PIDS[i]}
        name=${entry%%:*} pid=${entry#*:}
        # Only the process this run started, and only if it still is that program.
        if alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]; then
            kill -TERM "$pid"
            for _ in $(seq 100); do
                alive "$pid" || break
                sleep 0.2
            done
            if alive "$pid"; then
                log "$name (pid $pid) ignored SIGTERM for 20 s: SIGKILL"
                kill -KILL "$pid"
            fi
            log "stopped $name (pid $pid)"
        fi
    done
    left=$(pgrep -af "qemu-system.*guest=$PREFIX" || true)
    [ -z "$left" ] || log "WARNING: QEMU processes of the lab are still running: $left"
    printf '\n' >&2
    if [ "$status" -eq 0 ]; then
        log "make vagrant-test: PASSED ($MODE) in $((SECONDS - T0)) s; log: $RUN/test.log"
    else
        log "make vagrant-test: FAILED: $(cat "$RUN/failed" 2>/dev/null || echo "see the log")"
        log "log: $RUN/test.log"
        [ ! -d "$RUN/diagnostics" ] || log "what each VM said: $RUN/diagnostics/"
    fi
    exit "$status"
}
trap teardown EXIT
trap 'fail "interrupted"' INT TERM

# ------------------------------------------------------------- the VMs

# Run a command as root on a VM, over SSH (faster than `vagrant ssh` per call).
on_() {
    local node=$1
    shift
    [ -f "$RUN/ssh_config" ] || return 1
    timeout 90 ssh -F "$RUN/ssh_config" -o BatchMode=yes -o ConnectTimeout=15 "$node" \
        "sudo bash -c $(printf '%q' "$*")"
}
on() {
    local out
    if ! out=$(on_ "$@" 2>&1); then
        echo "$out" >&2
        fail "on $1: \`${*:2}\` failed"
    fi
    printf '%s\n' "$out"
}

refresh_ssh_config() {
    vagrant ssh-config "${NODES[@]}" > "$RUN/ssh_config.new" 2>> "$RUN/vagrant-ssh-config.log" &&
        mv "$RUN/ssh_config.new" "$RUN/ssh_config"
}

# wait_for WHAT SECONDS CHECK [ARGS...]: until CHECK succeeds, or fail showing its last output.
wait_for() {
    local what=$1 limit=$2 start=$SECONDS
    shift 2
    until "$@" > "$RUN/last-check.txt" 2>&1; do
        if [ $((SECONDS - start)) -ge "$limit" ]; then
            log "last check \`$*\` said:"
            indent < "$RUN/last-check.txt"
            fail "$what: not so after $limit s"
        fi
        sleep 2
    done
    log "ok: $what ($((SECONDS - start)) s)"
}

# view NODE: VIEW_STATE, VIEW_PRIO (effective) and VIEW_VIP (yes/no, from the kernel).
view() {
    local out
    out=$(on_ "$1" "vrrpctl status; echo ---; ip -o -4 addr show to $LAB_NET" 2>&1) || {
        echo "$1 does not answer: $out"
        return 1
    }
    VIEW_STATE=$(awk -v i=$INSTANCE '$1 == i { print $5; exit }' <<< "$out")
    VIEW_PRIO=$(awk -v i=$INSTANCE '$1 == i { print $7; exit }' <<< "$out")
    if grep -q " inet $VIP/24 " <<< "${out#*$'\n'---$'\n'}"; then VIEW_VIP=yes; else VIEW_VIP=no; fi
    echo "$1: state=${VIEW_STATE:-?} priority=${VIEW_PRIO:-?} holds $VIP: $VIEW_VIP"
    indent <<< "$out"
}

# master_is M B: M is MASTER and holds the VIP; B is BACKUP and does not.
master_is() {
    local m_state m_vip
    view "$1" || return 1
    m_state=$VIEW_STATE m_vip=$VIEW_VIP
    view "$2" || return 1
    [ "$m_state" = MASTER ] && [ "$m_vip" = yes ] && [ "$VIEW_STATE" = BACKUP ] && [ "$VIEW_VIP" = no ]
}

state_is() {
    view "$1" || return 1
    [ "$VIEW_STATE" = "$2" ]
}

# served_by NODE: the host gets NODE's page from http://VIP/.
served_by() {
    local got
    got=$(curl -s --noproxy '*' --max-time 5 "http://$VIP/" || true)
    echo "curl http://$VIP/ -> ${got:-no answer}"
    [ "$got" = "served by $1" ]
}

# notified NODE REGEX: the newest line of the notify hook in NODE's journal matches.
notified() {
    local line
    line=$(on_ "$1" 'journalctl -t vrrpd-notify -o cat -n 1 --no-pager') || return 1
    echo "$1 journal: $line"
    grep -qE -- "$2" <<< "$line"
}

unit_property() { on "$1" "systemctl show -p $2 --value $3"; }

check_unit() {
    local node=$1 props
    props=$(on "$node" 'systemctl show vrrpd -p Type -p NotifyAccess -p WatchdogUSec -p ActiveState -p SubState -p StatusText -p NRestarts')
    indent "$node: " <<< "$props"
    grep -qx 'Type=notify' <<< "$props" || fail "$node: vrrpd.service is not Type=notify"
    grep -qx 'WatchdogUSec=10s' <<< "$props" || fail "$node: vrrpd.service has no 10 s watchdog"
    grep -qx 'ActiveState=active' <<< "$props" || fail "$node: vrrpd.service is not active"
    grep -qx 'SubState=running' <<< "$props" || fail "$node: vrrpd.service is not running"
    grep -q "^StatusText=.*$INSTANCE" <<< "$props" ||
        fail "$node: systemctl shows no status line from vrrpd (sd_notify STATUS=)"
    on "$node" 'systemctl is-enabled vrrpd haproxy vrrpd-lab-backend' > /dev/null ||
        fail "$node: a lab service is not enabled"
}

vagrant_up() {
    phase "vagrant up (lb1 and lb2: boot, then provision.sh: make install, config, systemd)"
    local parallel=--parallel
    [ "${VRRPD_VAGRANT_PARALLEL:-1}" = 1 ] || parallel=--no-parallel
    log "output: $RUN/vagrant-up.log (the driver is $DRIVER; TCG boots take minutes)"
    if ! timeout 2400 vagrant up --provider=libvirt "$parallel" 2>&1 |
        tee "$RUN/vagrant-up.log" | sed -u 's/^/    /'; then
        fail "vagrant up failed (its output is above and in $RUN/vagrant-up.log)"
    fi
    refresh_ssh_config || fail "vagrant ssh-config failed"
    log "both VMs are up and provisioned"
}

drill() {
    local pid restarts masters reloads

    phase "1. Election: lb1 (priority 150) MASTER, lb2 (100) BACKUP"
    wait_for "lb1 is MASTER with the VIP, lb2 BACKUP" 120 master_is lb1 lb2
    for node in "${NODES[@]}"; do check_unit "$node"; done
    log "ok: vrrpd.service is Type=notify, active, with a 10 s watchdog and a status line, on both"
    wait_for "lb1's hook logged MASTER" 30 notified lb1 "-> MASTER priority 150"
    wait_for "lb2's hook logged BACKUP" 30 notified lb2 "-> BACKUP priority 100"

    phase "2. The README's command: vagrant ssh lb1 -c 'sudo vrrpctl status'"
    local table
    table=$(vagrant ssh lb1 -c 'sudo vrrpctl status' 2> /dev/null) || fail "vagrant ssh lb1 -c 'sudo vrrpctl status' failed"
    indent <<< "$table"
    grep -qE "^$INSTANCE +eth1 +51 +v3 +MASTER " <<< "$table" || fail "vrrpctl status on lb1 does not show $INSTANCE MASTER on eth1"
    grep -qF "$VIP/24 (here)" <<< "$table" || fail "vrrpctl status on lb1 does not show the VIP as here"

    phase "3. The VIP from the host: curl http://$VIP/"
    wait_for "the host gets lb1's page" 60 served_by lb1

    phase "4. systemctl stop haproxy on lb1: the VIP moves to lb2"
    on lb1 'systemctl stop haproxy' > /dev/null
    wait_for "lb2 is MASTER with the VIP, lb1 BACKUP" 90 master_is lb2 lb1
    view lb1 > /dev/null
    [ "$VIEW_PRIO" = 90 ] || fail "lb1's priority is $VIEW_PRIO with HAProxy stopped, not 150 - 60 = 90"
    log "ok: lb1's priority is 90 (chk_haproxy failed: weight -60)"
    wait_for "the host gets lb2's page" 60 served_by lb2
    wait_for "lb2's hook logged MASTER" 30 notified lb2 "-> MASTER priority 100"
    wait_for "lb1's hook logged BACKUP at 90" 30 notified lb1 "-> BACKUP priority 90"

    phase "5. systemctl start haproxy on lb1: lb1 takes the VIP back"
    on lb1 'systemctl start haproxy' > /dev/null
    wait_for "lb1 is MASTER with the VIP again, lb2 BACKUP" 90 master_is lb1 lb2
    wait_for "the host gets lb1's page again" 60 served_by lb1
    wait_for "lb1's hook logged MASTER" 30 notified lb1 "-> MASTER priority 150"

    phase "6. systemctl reload vrrpd on lb1 (SIGHUP): reloaded, nothing moves"
    pid=$(unit_property lb1 MainPID vrrpd)
    reloads=$(on lb1 "journalctl -u vrrpd -o cat --no-pager | grep -c '\"reloaded\"' || true")
    on lb1 'systemctl reload vrrpd' > /dev/null || fail "systemctl reload vrrpd failed on lb1"
    wait_for "lb1 logs a finished reload" 60 reloaded_more_than lb1 "$reloads"
    [ "$(unit_property lb1 MainPID vrrpd)" = "$pid" ] || fail "the reload restarted vrrpd"
    master_is lb1 lb2 > "$RUN/last-check.txt" 2>&1 || {
        cat "$RUN/last-check.txt"
        fail "lb1 lost the VIP over a reload"
    }
    check_unit lb1
    log "ok: same pid $pid, still MASTER, status line back"

    phase "7. vrrpd hangs on lb1 (SIGSTOP): systemd's watchdog restarts it"
    restarts=$(unit_property lb1 NRestarts vrrpd)
    masters=$(on lb2 "journalctl -t vrrpd-notify -o cat --no-pager | grep -c -- '-> MASTER' || true")
    on lb1 "kill -STOP $pid" > /dev/null
    log "vrrpd (pid $pid) stopped; WatchdogSec=10s"
    wait_for "systemd restarted vrrpd on lb1" 120 restarted lb1 "$pid" "$restarts"
    on lb1 "journalctl -u vrrpd --no-pager | grep -i 'watchdog timeout'" | indent ||
        fail "lb1's journal does not say the watchdog fired"
    wait_for "lb1 is MASTER with the VIP again, lb2 BACKUP" 120 master_is lb1 lb2
    local now
    now=$(on lb2 "journalctl -t vrrpd-notify -o cat --no-pager | grep -c -- '-> MASTER' || true")
    [ "$now" -gt "$masters" ] || fail "lb2 did not take over while lb1's vrrpd hung"
    log "ok: lb2 took over while lb1 hung, lb1 took the VIP back after the restart"
    wait_for "the host gets lb1's page" 60 served_by lb1

    phase "8. Reboot lb1: lb2 holds the VIP meanwhile; lb1 boots, vrrpd starts, takes it back"
    local boot
    boot=$(on lb1 'cat /proc/sys/kernel/random/boot_id')
    on_ lb1 'systemctl reboot' > /dev/null 2>&1 || true
    wait_for "lb2 is MASTER with the VIP while lb1 reboots" 120 state_is lb2 MASTER
    wait_for "the host gets lb2's page" 60 served_by lb2
    wait_for "lb1 is back from its reboot" 900 rebooted lb1 "$boot"
    wait_for "lb1 is MASTER with the VIP again, lb2 BACKUP" 180 master_is lb1 lb2
    check_unit lb1
    on lb1 'journalctl -b -t vrrpd-notify -o cat --no-pager' | indent "lb1 this boot: "
    wait_for "the host gets lb1's page" 60 served_by lb1

    phase "The notify hook's lines (journalctl -t vrrpd-notify)"
    for node in "${NODES[@]}"; do
        on "$node" 'journalctl -t vrrpd-notify -o short-iso --no-pager' | indent "$node: "
    done
}

reloaded_more_than() {
    local count
    count=$(on_ "$1" "journalctl -u vrrpd -o cat --no-pager | grep -c '\"reloaded\"' || true") || return 1
    echo "$1: $count reload(s) logged, $2 before"
    [ "$count" -gt "$2" ]
}

restarted() {
    local props
    props=$(on_ "$1" 'systemctl show vrrpd -p MainPID -p NRestarts -p ActiveState -p SubState') || return 1
    echo "$props"
    grep -qx "ActiveState=active" <<< "$props" && grep -qx "SubState=running" <<< "$props" &&
        ! grep -qx "MainPID=$2" <<< "$props" && ! grep -qx "NRestarts=$3" <<< "$props"
}

# rebooted NODE BOOT_ID: NODE runs another boot than BOOT_ID, finished booting.
rebooted() {
    local now
    refresh_ssh_config || return 1
    now=$(on_ "$1" 'systemctl is-system-running --wait >/dev/null; cat /proc/sys/kernel/random/boot_id') ||
        return 1
    echo "$1: boot $now (before the reboot: $2)"
    [ -n "$now" ] && [ "$now" != "$2" ]
}

# --------------------------------------------------------------------- main

install_packages
choose_driver
choose_networks
build_wheelhouse
ensure_box
[ "$MODE" != prepare ] || exit 0
start_libvirt
if [ "$MODE" = dry-run ]; then
    phase "Dry run: the Vagrantfile against libvirt, no VM"
    vagrant validate
    vagrant status
    exit 0
fi
vagrant_up
drill
