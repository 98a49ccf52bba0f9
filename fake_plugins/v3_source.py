"""The events of fake_plugins/v3_demo.py without its fields (a source for the extraction-only twins)."""
from fake_plugins.v3_demo import SourceOnly

PLUGIN = SourceOnly
