# The two commands a user runs (as root, on Debian 12): `make demo` and `make test`.
# Everything they need is installed from here, so a fresh machine works.

PYTHON ?= /usr/bin/python3
VENV := .venv
VPY := $(VENV)/bin/python
# Debian packages vrrpd needs to run (make install) ...
INSTALL_PACKAGES := python3 python3-venv iproute2
# ... and what the test suite and the demo need besides; installed only when missing.
DEB_PACKAGES := $(INSTALL_PACKAGES) util-linux systemd haproxy keepalived vagrant shellcheck stress-ng

# $(call apt_missing,PACKAGES): install those of PACKAGES that are missing.
define apt_missing
@missing=$$(for p in $(1); do \
    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
  done); \
if [ -n "$$missing" ]; then \
  echo "installing Debian packages: $$missing"; \
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
fi
endef

.PHONY: test demo install install-deps lint typecheck unit deps venv clean vagrant-test bench

test: venv lint typecheck
	$(VPY) -m pytest -q

demo: venv
	$(VPY) -m tests.lab.demo

# Install for real use: a virtualenv under $(PREFIX), the two commands in
# $(BINDIR), the systemd unit, and /etc/vrrpd. Re-running upgrades in place.
PREFIX ?= /opt/vrrpd
BINDIR ?= /usr/local/bin
UNITDIR ?= /etc/systemd/system
CONFDIR ?= /etc/vrrpd

install: install-deps
	$(PYTHON) -m venv $(PREFIX)
	$(PREFIX)/bin/python -m pip install -q --upgrade pip
	$(PREFIX)/bin/python -m pip install -q .
	install -d $(BINDIR) $(UNITDIR)
	ln -sf $(PREFIX)/bin/vrrpd $(BINDIR)/vrrpd
	ln -sf $(PREFIX)/bin/vrrpctl $(BINDIR)/vrrpctl
	install -m 0644 systemd/vrrpd.service $(UNITDIR)/vrrpd.service
	install -d -m 0755 $(CONFDIR)
	@echo "installed: $(BINDIR)/vrrpd, $(BINDIR)/vrrpctl, $(UNITDIR)/vrrpd.service"
	@echo "next: write $(CONFDIR)/vrrpd.yaml (docs/quickstart.md), then systemctl enable --now vrrpd"

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy

unit: venv
	$(VPY) -m pytest -q tests/unit tests/property tests/sim

install-deps:
	$(call apt_missing,$(INSTALL_PACKAGES))

deps:
	$(call apt_missing,$(DEB_PACKAGES))

# `make bench`: vrrpd and Keepalived 2.2.7 side by side (root; about 20 min;
# BENCH_ARGS=--quick for about 3 min, e.g. BENCH_ARGS="--only failover --reps 3").
BENCH_ARGS ?=
bench: venv
	$(VPY) -m bench $(BENCH_ARGS)

# The Vagrant lab's drill in two real VMs under systemd (vagrant/README.md).
# Root; 10-20 minutes without KVM; caches a box in /var/cache/vrrpd-vagrant.
vagrant-test:
	bash vagrant/test.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml | deps
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
