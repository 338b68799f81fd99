#!/bin/sh
# vrrpd notify hook of the Vagrant lab (vagrant/README.md), installed as
# /etc/vrrpd/notify.sh: one line in the journal per state change.
#
# vrrpd runs it as     notify.sh INSTANCE NAME STATE PRIORITY
# (a sync group's hook: notify.sh GROUP NAME STATE), with VRRPD_PREVIOUS_STATE,
# VRRPD_REASON and VRRPD_VIPS in its environment (docs/configuration.md).
# Read the lines back with:  journalctl -t vrrpd-notify
set -eu

if [ $# -lt 3 ]; then
    echo "usage: $0 INSTANCE|GROUP NAME STATE [PRIORITY]" >&2
    exit 2
fi
scope=$1 name=$2 state=$3 priority=${4:--}

logger -t vrrpd-notify -p daemon.notice -- \
    "$scope $name ${VRRPD_PREVIOUS_STATE:-?} -> $state priority $priority" \
    "vips ${VRRPD_VIPS:-none}: ${VRRPD_REASON:-no reason given}"
