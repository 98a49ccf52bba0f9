"""plugref's reference implementation of the Falco plugin framework (plugin API 0.3.0).

Start reading at `reference.contract.v0_3` (the contract), then `reference.host.loader` and `reference.host.registry`
(the loading rules); docs/architecture.md has the map.
"""

__version__ = "0.1.0"
