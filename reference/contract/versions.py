"""Version rules: the required API version a plugin asks for and the plugin's own version.

Clauses API-VERSION-FORMAT, API-VERSION-COMPAT and PLUGIN-VERSION-FORMAT.
"""
from __future__ import annotations

from typing import NamedTuple

from reference.contract.v0_3 import FRAMEWORK_API_VERSION

# The grammar of a semantic version, semver.org 2.0.0 (ASCII only).
_DIGITS = frozenset("0123456789")
_IDENTIFIER_CHARACTERS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-")


def _is_number(text: str) -> bool:
    """semver.org 2.0.0 §2: a non-negative integer in ASCII digits, without leading zeros."""
    return bool(text) and set(text) <= _DIGITS and (text == "0" or text[0] != "0")


def _are_identifiers(text: str, numbers_without_leading_zeros: bool) -> bool:
    """§9 and §10: dot-separated identifiers of [0-9A-Za-z-], none empty; in a pre-release (§9)
    those made of digits only must not have leading zeros."""
    for identifier in text.split("."):
        if not identifier or not set(identifier) <= _IDENTIFIER_CHARACTERS:
            return False
        if numbers_without_leading_zeros and set(identifier) <= _DIGITS and not _is_number(identifier):
            return False
    return True


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
    # Written out rather than as one regular expression, whose compiling would cost every run.
    text, has_build, build = text.partition("+")  # the build (§10) is all after the first "+"
    core, has_prerelease, prerelease = text.partition("-")  # the core has no "-": the pre-release follows the first
    numbers = core.split(".")
    if len(numbers) != 3 or not all(map(_is_number, numbers)):
        return None
    if has_prerelease and not _are_identifiers(prerelease, numbers_without_leading_zeros=True):
        return None
    if has_build and not _are_identifiers(build, numbers_without_leading_zeros=False):
        return None
    major, minor, patch = map(int, numbers)
    return Version(major, minor, patch, prerelease if has_prerelease else None, build if has_build else None)


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
