"""Plugins used by the tests and the demo: well-behaved Python plugins, a definition-driven plugin
(the same definition format the native fake plugin reads), and misbehaving definitions."""
