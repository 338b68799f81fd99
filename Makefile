# The two commands a user runs (as root, on Debian 12): `make demo` and `make test`.
# Everything they need is installed from here, so a fresh machine works.

PYTHON ?= /usr/bin/python3
VENV := .venv
VPY := $(VENV)/bin/python
# Debian packages the suite needs; installed only when one is missing.
DEB_PACKAGES := python3 python3-venv iproute2 util-linux systemd haproxy keepalived

.PHONY: test demo install lint typecheck unit deps venv clean

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

install: deps
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

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml | deps
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
