"""Field types of every contract: `ss_plugin_field_type`, whose values are libscap's `ppm_param_type`.

0.3.0 (and 1.x, 2.x) plugins may declare only uint64 and string; 3.0.0 added the rest. Which contract
accepts which type is said by each contract module (`v0_3.FieldType` has the first two); the
filter language and the outputs work on this one enum.
"""
from __future__ import annotations

import enum


class AnyFieldType(enum.IntEnum):
    """Every `ss_plugin_field_type` value, with its `get_fields` JSON name."""

    UINT64 = 8      # "uint64"
    STRING = 9      # "string"
    RELTIME = 20    # "reltime", 3.0.0
    ABSTIME = 21    # "abstime", 3.0.0
    BOOL = 25       # "bool", 3.0.0
    IPADDR = 40     # "ipaddr", 3.0.0
    IPNET = 41      # "ipnet", 3.0.0


#: the `type` strings of get_fields JSON
ANY_FIELD_TYPE_NAMES = {"uint64": AnyFieldType.UINT64, "string": AnyFieldType.STRING,
                        "reltime": AnyFieldType.RELTIME, "abstime": AnyFieldType.ABSTIME,
                        "bool": AnyFieldType.BOOL, "ipaddr": AnyFieldType.IPADDR, "ipnet": AnyFieldType.IPNET}

