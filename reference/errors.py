"""Errors the framework reports. Each names the clause of docs/spec.md that the input broke."""
from __future__ import annotations


class PlugrefError(Exception):
    """Base of every error plugref reports to a user (never shown as a traceback)."""

    def __init__(self, message: str, clause: str | None = None):
        super().__init__(message)
        self.message = message
        self.clause = clause


class LoadError(PlugrefError):
    """A plugin, or a set of plugins, breaks a loading rule."""

    def __init__(self, where: str, message: str, clause: str):
        super().__init__(f"cannot load plugin {where}: {message}", clause)
        self.where = where
        self.reason = message


class LifecycleError(PlugrefError):
    """A plugin call made in a lifecycle state that does not allow it (clause PLUGIN-LIFECYCLE)."""

    def __init__(self, plugin: str, call: str, state: str, allowed: list[str]):
        super().__init__(
            f"plugin {plugin}: {call} is not allowed in state {state} "
            f"(allowed in: {', '.join(allowed)})",
            "PLUGIN-LIFECYCLE",
        )
        self.call = call
        self.state = state


class PluginCallError(PlugrefError):
    """A plugin call failed or answered outside the contract while running (not at load)."""
