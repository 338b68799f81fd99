"""vrrpd: a VRRP failover agent, the VRRP half of Keepalived in Python."""

__version__ = "0.1.0"
