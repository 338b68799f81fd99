"""The asyncio shell: everything that touches the OS (sockets, netlink, processes)."""
