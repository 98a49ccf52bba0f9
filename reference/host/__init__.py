"""The host side of the framework: loading plugins one by one and as a set, the native bridge,
the event loop, event fields and extraction, and capture files."""
