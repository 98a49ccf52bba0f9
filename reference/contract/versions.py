"""Version rules: the required API version a plugin asks for and the plugin's own version.

Clauses API-VERSION-FORMAT, API-VERSION-COMPAT and PLUGIN-VERSION-FORMAT.
"""
from __future__ import annotations

import semver

from reference.contract.v0_3 import FRAMEWORK_API_VERSION

#: A parsed semantic version (major, minor, patch, prerelease, build), as the semver package gives it.
Version = semver.Version


def parse_version(text: str | None) -> Version | None:
    """A strict `x.y.z` semantic version, or None when `text` is not one.

    libs 0.3.0 reads versions with `sscanf("%u.%u.%u")` and so tolerates trailing text
    ("0.3.0abc"); plugref follows the documentation ("plugins are versioned using semantic
    versioning") and refuses it. The conformance report shows the difference.
    """
    if not isinstance(text, str):
        return None
    try:
        return semver.Version.parse(text)
    except (ValueError, TypeError):
        return None


def api_version_compatible(required: Version, framework: Version | None = None) -> bool:
    """API-VERSION-COMPAT: may a framework of version `framework` load a plugin asking `required`?

    Same major; the framework's minor at least the plugin's; the patch matters only when the minors
    are equal. Pre-release and build parts play no role, as in the C loader.
    """
    framework = framework or parse_version(FRAMEWORK_API_VERSION)
    if required.major != framework.major:
        return False
    if required.minor != framework.minor:
        return framework.minor > required.minor
    return framework.patch >= required.patch


def plugin_version_compatible(loaded: str, required: str) -> bool:
    """RULES-PLUGIN-VERSIONS: does a loaded version satisfy a required one?

    Same major, and loaded >= required on (major, minor, patch); there is no special case for
    0.x (0.2.0 satisfies 0.1.0), as in Falco. The same rule serves required_engine_version.
    """
    have, want = parse_version(loaded), parse_version(required)
    if have is None or want is None:
        return False
    return have.major == want.major and (have.major, have.minor, have.patch) >= (want.major, want.minor, want.patch)
