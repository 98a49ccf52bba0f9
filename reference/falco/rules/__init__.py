"""Falco rules files: reading, collecting (append/override), compiling, and the load results.

    ruleset = load_rules(["rules.yaml"], sources)   # sources: event source -> FieldTable
    ruleset.results.successful, ruleset.rules

A load is all or nothing: when any file has an error, `load_rules` raises RulesLoadError carrying
every file's results, and no rule is kept (clause RULES-ATOMIC).
"""
from reference.falco.rules.loader import ENGINE_VERSION, CompiledRule, RuleSet, RulesLoadError, load_rules
from reference.falco.rules.results import FileResult, LoadResults, Message

__all__ = ["ENGINE_VERSION", "CompiledRule", "FileResult", "LoadResults", "Message", "RuleSet", "RulesLoadError",
           "load_rules"]
