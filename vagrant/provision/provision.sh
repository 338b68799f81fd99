#!/bin/bash
# Provisions one node of the vrrpd Vagrant lab (vagrant/README.md), as root:
#
#   provision.sh NODE PRIORITY [NETWORK [SRC]]
#
# NETWORK is the lab's /24 (default 192.0.2.0/24), SRC the vrrpd checkout
# (default /vagrant, where the Vagrantfile syncs the repository).
#
#  1. Debian packages: HAProxy, make, python3-venv (only those missing).
#  2. The backend: a web server on 127.0.0.1:8080 whose page names the node.
#  3. HAProxy on port 80 of every address, forwarding to the backend.
#  4. vrrpd, as a user installs it: `make install` in the checkout.
#  5. /etc/vrrpd/vrrpd.yaml and its notify hook (write-config.sh).
#  6. vrrpd enabled and (re)started under systemd.
#
# Offline (the locally built box of `make vagrant-test`): when
# /var/cache/vrrpd-wheelhouse holds wheels, pip installs from there only.
# Running it again upgrades vrrpd and rewrites every file.
set -euo pipefail

node=${1:?usage: provision.sh NODE PRIORITY [NETWORK [SRC]]}
priority=${2:?usage: provision.sh NODE PRIORITY [NETWORK [SRC]]}
network=${3:-192.0.2.0/24}
src=${4:-/vagrant}
here=$src/vagrant/provision
wheelhouse=/var/cache/vrrpd-wheelhouse
backend_root=/srv/vrrpd-lab

step() { printf '\n=== %s: %s\n' "$node" "$*"; }
die() {
    echo "provision.sh on $node: $*" >&2
    exit 1
}

[ "$(id -u)" -eq 0 ] || die "run me as root"
if [ ! -f "$src/Makefile" ] || [ ! -d "$here" ]; then
    die "no vrrpd checkout in $src (the Vagrantfile syncs the repository there with rsync; run 'vagrant rsync')"
fi

step "Debian packages"
missing=()
for package in haproxy make python3-venv iproute2 procps; do
    [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" = "install ok installed" ] ||
        missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    echo "all there"
fi

step "backend on 127.0.0.1:8080"
install -d -m 0755 "$backend_root"
printf 'served by %s\n' "$node" > "$backend_root/index.html"
chmod 0644 "$backend_root/index.html"
install -m 0644 "$here/vrrpd-lab-backend.service" /etc/systemd/system/vrrpd-lab-backend.service
systemctl daemon-reload
systemctl enable vrrpd-lab-backend.service
systemctl restart vrrpd-lab-backend.service

step "HAProxy on port 80"
install -m 0644 "$here/haproxy.cfg" /etc/haproxy/haproxy.cfg
haproxy -c -q -f /etc/haproxy/haproxy.cfg
systemctl enable haproxy.service
systemctl restart haproxy.service

step "vrrpd: make install (as docs/quickstart.md says)"
if compgen -G "$wheelhouse/*.whl" > /dev/null; then
    echo "offline: pip installs from $wheelhouse only"
    export PIP_NO_INDEX=1 PIP_FIND_LINKS=$wheelhouse
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
make -C "$src" install

step "config: /etc/vrrpd/vrrpd.yaml"
bash "$here/write-config.sh" "$node" "$priority" /etc/vrrpd "$network"
vrrpd --check-config /etc/vrrpd/vrrpd.yaml

step "vrrpd under systemd"
systemctl daemon-reload
systemctl enable vrrpd.service
# Type=notify: this returns once vrrpd runs every instance (or has failed).
systemctl restart vrrpd.service
systemctl --no-pager --lines=0 status vrrpd.service || true
vrrpctl status || true
