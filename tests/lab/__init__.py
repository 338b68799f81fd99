"""Lab tests: real processes in network and PID namespaces (see netlab.py)."""
