"""The native fake plugin: a C plugin answering from a definition file (see defined_plugin.c)."""
