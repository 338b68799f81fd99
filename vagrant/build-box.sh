#!/bin/bash
# Builds a Debian 12 Vagrant box for vagrant-libvirt from Debian packages alone
# (debootstrap), for machines where no box can be downloaded; `make
# vagrant-test` (vagrant/test.sh) uses it. Run as root:
#
#   vagrant/build-box.sh OUT.box
#
# The box carries every Debian package the lab needs, so the VMs need no
# network: HAProxy, Python with venv, make, rsync, and what `make install`
# checks for (iproute2, util-linux, systemd, keepalived). It boots its kernel
# directly (no bootloader): the box's own Vagrantfile gives vagrant-libvirt
# the kernel, the initrd and the command line. Log in as vagrant/vagrant, or
# with Vagrant's insecure key (Vagrant replaces it on the first `vagrant up`).
#
# Environment:
#   VRRPD_DEBIAN_MIRROR   default http://deb.debian.org/debian
#   VRRPD_DEB_CACHE       keep the downloaded .debs here for the next build
#                         (default: none)
#   TMPDIR                where the 1 GB root file system is put together
#                         (default /var/tmp)
set -euo pipefail

SUITE=bookworm
MIRROR=${VRRPD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
DISK_GB=4
PACKAGES=(
    # boot, log in, be managed by Vagrant
    linux-image-amd64 systemd-sysv udev openssh-server sudo ifupdown isc-dhcp-client rsync
    # the lab: HAProxy, `pidof`, Python for vrrpd and the backend, `make install`
    haproxy procps psmisc python3 python3-venv make iproute2 util-linux keepalived curl
)

die() {
    echo "build-box.sh: $*" >&2
    exit 1
}

[ $# -eq 1 ] || die "usage: build-box.sh OUT.box"
out=$1
[ "$(id -u)" -eq 0 ] || die "run me as root (debootstrap and file ownership need it)"
for tool in debootstrap mkfs.ext4 qemu-img tar; do
    command -v "$tool" > /dev/null ||
        die "$tool not found; apt-get install debootstrap e2fsprogs qemu-utils tar"
done
# Vagrant's insecure public key, from the installed Vagrant (Debian's or HashiCorp's).
vagrant_pub=$(compgen -G "/usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub" ||
    compgen -G "/opt/vagrant/embedded/gems/gems/vagrant-*/keys/vagrant.pub" ||
    compgen -G "/opt/vagrant/embedded/gems/*/gems/vagrant-*/keys/vagrant.pub" || true)
vagrant_pub=${vagrant_pub%%$'\n'*}
[ -n "$vagrant_pub" ] || die "Vagrant's insecure key (keys/vagrant.pub) not found; install vagrant"

work=$(mktemp -d "${TMPDIR:-/var/tmp}/vrrpd-box.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
rootfs=$work/rootfs
boxdir=$work/box
mkdir -p "$boxdir"

started=$SECONDS
echo "build-box.sh: debootstrap $SUITE from $MIRROR into $rootfs"
cache_args=()
if [ -n "${VRRPD_DEB_CACHE:-}" ]; then
    mkdir -p "$VRRPD_DEB_CACHE"
    cache_args=(--cache-dir="$(cd "$VRRPD_DEB_CACHE" && pwd)")
fi
include=$(IFS=,; echo "${PACKAGES[*]}")
if ! debootstrap --variant=minbase "${cache_args[@]}" --include="$include" \
    "$SUITE" "$rootfs" "$MIRROR" > "$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log" >&2
    [ -f "$rootfs/debootstrap/debootstrap.log" ] && tail -n 30 "$rootfs/debootstrap/debootstrap.log" >&2
    die "debootstrap failed (its log's end is above)"
fi
echo "build-box.sh: debootstrap done in $((SECONDS - started)) s"

echo "build-box.sh: configuring the guest"
echo vrrpd-box > "$rootfs/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tvrrpd-box\n' > "$rootfs/etc/hosts"
echo "/dev/vda / ext4 defaults,errors=remount-ro 0 1" > "$rootfs/etc/fstab"
cat > "$rootfs/etc/network/interfaces" <<'EOF'
# The management interface (Vagrant reaches the VM through it); Vagrant adds
# the private network's interface below.
source /etc/network/interfaces.d/*

auto lo
iface lo inet loopback

auto eth0
iface eth0 inet dhcp
EOF
# A persistent journal: the drill reads it across a reboot.
mkdir -p "$rootfs/var/log/journal"
# Each VM makes its own machine id on first boot.
: > "$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id"
chroot "$rootfs" useradd --create-home --shell /bin/bash vagrant
echo vagrant:vagrant | chroot "$rootfs" chpasswd
echo "vagrant ALL=(ALL) NOPASSWD: ALL" > "$rootfs/etc/sudoers.d/vagrant"
chmod 0440 "$rootfs/etc/sudoers.d/vagrant"
install -d -m 0700 "$rootfs/home/vagrant/.ssh"
install -m 0600 "$vagrant_pub" "$rootfs/home/vagrant/.ssh/authorized_keys"
chroot "$rootfs" chown -R vagrant:vagrant /home/vagrant/.ssh
echo "UseDNS no" > "$rootfs/etc/ssh/sshd_config.d/vagrant.conf"
rm -f "$rootfs"/var/cache/apt/archives/*.deb

kernel=$(compgen -G "$rootfs/boot/vmlinuz-*" | sort -V | tail -n 1)
initrd=$(compgen -G "$rootfs/boot/initrd.img-*" | sort -V | tail -n 1)
if [ -z "$kernel" ] || [ -z "$initrd" ]; then
    die "no kernel or initrd in $rootfs/boot"
fi
cp "$kernel" "$boxdir/vmlinuz"
cp "$initrd" "$boxdir/initrd.img"

echo "build-box.sh: making the disk image"
mkfs.ext4 -q -F -L vrrpd-root -d "$rootfs" "$work/root.raw" "${DISK_GB}G"
rm -rf "$rootfs"
qemu-img convert -f raw -O qcow2 "$work/root.raw" "$boxdir/box.img"
rm -f "$work/root.raw"
cat > "$boxdir/metadata.json" <<EOF
{"provider": "libvirt", "format": "qcow2", "virtual_size": $DISK_GB}
EOF
cat > "$boxdir/Vagrantfile" <<'EOF'
# Box Vagrantfile of the vrrpd lab's local Debian 12 box (vagrant/build-box.sh):
# boot the kernel and initrd shipped in the box, no bootloader.
Vagrant.configure("2") do |config|
  config.vm.provider :libvirt do |lv|
    lv.kernel = File.expand_path("vmlinuz", __dir__)
    lv.initrd = File.expand_path("initrd.img", __dir__)
    lv.cmd_line = "root=/dev/vda rw console=ttyS0 net.ifnames=0"
  end
end
EOF

mkdir -p "$(dirname "$out")"
# Not compressed: a qcow2 image gains little from gzip, and it costs a minute.
tar -cf "$out.partial" -C "$boxdir" metadata.json Vagrantfile box.img vmlinuz initrd.img
mv "$out.partial" "$out"
echo "build-box.sh: $out ($(du -h "$out" | cut -f1)) in $((SECONDS - started)) s"
