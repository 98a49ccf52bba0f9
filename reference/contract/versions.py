"""Version rules: the required API version a plugin asks for and the plugin's own version.

Clauses API-VERSION-FORMAT, API-VERSION-COMPAT and PLUGIN-VERSION-FORMAT.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from reference.contract.v0_3 import FRAMEWORK_API_VERSION

#: A semantic version as semver.org 2.0.0 writes its grammar: three numbers without leading zeros
#: (§2), an optional pre-release of dot-separated identifiers after "-" (§9; numeric ones without
#: leading zeros) and an optional build of dot-separated identifiers after "+" (§10). ASCII only.
#: Compiled at its first use (by `re`'s cache), not when the module is imported.
_NUMBER = r"0|[1-9][0-9]*"
_PRERELEASE_IDENTIFIER = r"0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*"
_BUILD_IDENTIFIER = r"[0-9a-zA-Z-]+"
SEMANTIC_VERSION = (rf"({_NUMBER})\.({_NUMBER})\.({_NUMBER})"
                    rf"(?:-((?:{_PRERELEASE_IDENTIFIER})(?:\.(?:{_PRERELEASE_IDENTIFIER}))*))?"
                    rf"(?:\+({_BUILD_IDENTIFIER}(?:\.{_BUILD_IDENTIFIER})*))?")


class Version(NamedTuple):
    """The parts of a semantic version; `prerelease` and `build` as written, None when absent.
    (Compare versions by their rule, `api_version_compatible` or `plugin_version_compatible`,
    not as tuples.)"""

    major: int
    minor: int
    patch: int
    prerelease: str | None = None
    build: str | None = None


def parse_version(text: str | None) -> Version | None:
    """A strict `x.y.z` semantic version, or None when `text` is not one.

    libs 0.3.0 reads versions with `sscanf("%u.%u.%u")` and so tolerates trailing text
    ("0.3.0abc"); plugref follows the documentation ("plugins are versioned using semantic
    versioning") and refuses it. The conformance report shows the difference.
    """
    if not isinstance(text, str):
        return None
    match = re.fullmatch(SEMANTIC_VERSION, text)
    if match is None:
        return None
    major, minor, patch, prerelease, build = match.groups()
    return Version(int(major), int(minor), int(patch), prerelease, build)


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
