"""The pure protocol core: standard library only, no clock, socket or process.

Events go in, actions come out; see docs/design.md.
"""
