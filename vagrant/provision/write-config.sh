#!/bin/bash
# Writes one node's vrrpd config for the Vagrant lab (vagrant/README.md).
#
#   write-config.sh NODE PRIORITY OUTDIR [NETWORK]
#
# OUTDIR gets vrrpd.yaml and notify.sh, the hook the config names. The config
# names its files where they are installed (/etc/vrrpd/...), so OUTDIR is
# /etc/vrrpd on a node (provision.sh), or a directory that is mounted there
# (tests/lab/test_vagrant_drill.py runs this script to get the very same files).
#
# NETWORK: the lab network, a /24 (default 192.0.2.0/24); the VIP is its .100.
# The VIP goes on the interface that has an address in NETWORK (eth1 in the
# VMs, eth0 in the namespace lab), or on $VRRPD_INTERFACE if that is set.
#
#   write-config.sh lb1 150 /etc/vrrpd    # lb1: master while its HAProxy runs
#   write-config.sh lb2 100 /etc/vrrpd    # lb2: takes over when it does not
set -euo pipefail

VRID=51
CONFDIR=/etc/vrrpd

usage() {
    echo "usage: $0 NODE PRIORITY OUTDIR [NETWORK]" >&2
    exit 2
}

[ $# -eq 3 ] || [ $# -eq 4 ] || usage
node=$1 priority=$2 outdir=$3 network=${4:-192.0.2.0/24}
interface=${VRRPD_INTERFACE:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if ! [[ $node =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]]; then
    echo "$0: NODE must be a host name such as lb1, not '$node'" >&2
    exit 2
fi
if ! [[ $priority =~ ^[1-9][0-9]*$ ]] || [ "$priority" -gt 254 ]; then
    echo "$0: PRIORITY must be a whole number 1..254, not '$priority'" >&2
    exit 2
fi
if ! [[ $network =~ ^([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})\.0/24$ ]]; then
    echo "$0: NETWORK must be a /24 such as 192.0.2.0/24, not '$network'" >&2
    exit 2
fi
vip=${BASH_REMATCH[1]}.100/24
if [ -z "$interface" ]; then
    # `ip -o -4 addr show to NET`: "3: eth1    inet 192.0.2.11/24 brd ... eth1"
    interface=$(ip -o -4 addr show to "$network" | awk 'NR == 1 { print $2 }')
    if [ -z "$interface" ]; then
        echo "$0: no interface has an address in $network; set VRRPD_INTERFACE" >&2
        exit 1
    fi
fi

mkdir -p "$outdir"
install -m 0755 "$here/notify.sh" "$outdir/notify.sh"

# Written next to the target, then renamed: a reload never reads half a file.
tmp=$(mktemp "$outdir/.vrrpd.yaml.XXXXXX")
trap 'rm -f "$tmp"' EXIT
cat > "$tmp" <<EOF
# $CONFDIR/vrrpd.yaml on $node, written by vagrant/provision/write-config.sh.
#
# lb1 (priority 150) holds the VIP while its HAProxy runs. When HAProxy stops,
# chk_haproxy fails twice (fall 2, half a second apart) and its weight takes
# lb1 to 150 - 60 = 90, below lb2's 100: lb2 takes the VIP. Two good checks
# (rise 2) later lb1 is back at 150 and takes the VIP back (preemption).
global:
  router_id: $node

scripts:
  chk_haproxy:
    script: "pidof haproxy"
    interval: 0.5
    fall: 2
    rise: 2
    weight: -60

instances:
  VI_WEB:
    interface: $interface
    vrid: $VRID
    priority: $priority
    advert_int: 1
    virtual_ipaddress: [$vip]
    track_script: [chk_haproxy]
    # Runs as: notify.sh INSTANCE VI_WEB <state> <priority>; it logs to the
    # journal (journalctl -t vrrpd-notify).
    notify: $CONFDIR/notify.sh
EOF
chmod 0644 "$tmp"
mv "$tmp" "$outdir/vrrpd.yaml"
trap - EXIT
echo "wrote $outdir/vrrpd.yaml ($node, priority $priority, interface $interface) and $outdir/notify.sh"
