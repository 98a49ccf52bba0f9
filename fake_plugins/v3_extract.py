"""The extraction-only twin of the EXTRACT_ONLY build of fake_plugins/native/v3_plugin.c."""
from fake_plugins.v3_demo import ExtractOnly

PLUGIN = ExtractOnly
