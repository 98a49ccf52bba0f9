"""Load results: errors and warnings with their codes and where they come from (clause RULES-RESULTS).

Each message has a code (Falco's LOAD_ERR_* / LOAD_* names), a message, and a context: a stack of
locations (`rules content` of the file, then e.g. `rule 'r'`, `rule condition`), each with file,
line and column. Positions are 1-based (Falco prints yaml-cpp's 0-based marks). Renderings
follow `falco -V`: a summary, a verbose block, and JSON.
"""
from __future__ import annotations

from dataclasses import dataclass, field

#: RULES-UNKNOWN-SOURCE: the warning for a rule of the syscall source, which plugref does not model.
SYSCALL_NOT_CHECKED = "Rule not checked: plugref does not model the syscall source (Falco compiles it), skipping"

ERROR_TEXTS = {
    "LOAD_ERR_FILE_READ": "File read error",
    "LOAD_ERR_YAML_PARSE": "YAML parse error",
    "LOAD_ERR_YAML_VALIDATE": "Error validating internal structure of YAML file",
    "LOAD_ERR_COMPILE_CONDITION": "Error compiling condition",
    "LOAD_ERR_COMPILE_OUTPUT": "Error compiling output",
    "LOAD_ERR_VALIDATE": "Error validating rule/macro/list/exception objects",
}
WARNING_TEXTS = {
    "LOAD_UNKNOWN_SOURCE": "A rule has an unknown event source. This can occur when reading rules content "
                           "without having a corresponding plugin loaded, etc. The rule will be silently ignored.",
    "LOAD_UNKNOWN_FILTER": "A rule condition or output refers to a field that does not exist. The rule was "
                           "skipped (skip-if-unknown-filter).",
    "LOAD_UNUSED_MACRO": "A macro is defined in the rules content but is not used by any other macro or rule.",
    "LOAD_UNUSED_LIST": "A list is defined in the rules content but is not used by any other list, macro, or rule.",
    "LOAD_UNKNOWN_ITEM": "An unknown top-level object is in the rules content. It will be ignored.",
    "LOAD_DEPRECATED_ITEM": "A deprecated item is employed by lists, macros, or rules.",
    "LOAD_EXCEPTION_NAME_NOT_UNIQUE": "Multiple definitions of the same exception in one rule.",
    "LOAD_INVALID_MACRO_NAME": "A macro has an invalid name.",
    "LOAD_INVALID_LIST_NAME": "A list has an invalid name.",
    "LOAD_UNKNOWN_KEY": "An unknown key is in a rules item. It will be ignored.",
    # Falco's code; plugref's wording of its description.
    "LOAD_COMPILE_CONDITION": "A rule condition compiled, but part of it may not mean what it seems to.",
}


@dataclass(frozen=True)
class Location:
    item_type: str
    item_name: str
    file: str
    line: int
    column: int

    def to_json(self) -> dict:
        return {"item_type": self.item_type, "item_name": self.item_name,
                "position": {"name": self.file, "line": self.line, "column": self.column}}


@dataclass
class Message:
    code: str
    message: str
    locations: tuple[Location, ...] = ()

    @property
    def short(self) -> str:
        return ERROR_TEXTS.get(self.code) or WARNING_TEXTS.get(self.code, "")

    def verbose(self) -> str:
        lines = []
        for depth, location in enumerate(self.locations):
            name = f" '{location.item_name}'" if location.item_name else ""
            lines.append(f"{'    ' * min(depth, 1)}In {location.item_type}{name}: "
                         f"({location.file}:{location.line}:{location.column})")
        lines.append(f"{self.code} ({self.short or self.code}): {self.message}")
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {"context": {"locations": [loc.to_json() for loc in self.locations]}, "code": self.code,
                "codedesc": self.short, "message": self.message}


@dataclass
class FileResult:
    name: str
    errors: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)

    @property
    def successful(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        state = "Invalid" if self.errors else ("Ok, with warnings" if self.warnings else "Ok")
        return f"{self.name}: {state}"

    def verbose(self) -> str:
        out = [self.summary()]
        for title, messages in (("Errors", self.errors), ("Warnings", self.warnings)):
            if messages:
                out.append(f"{len(messages)} {title}:")
                out.extend(m.verbose() for m in messages)
        return "\n".join(out)

    def to_json(self) -> dict:
        return {"name": self.name, "successful": self.successful,
                "errors": [m.to_json() for m in self.errors], "warnings": [m.to_json() for m in self.warnings]}


@dataclass
class LoadResults:
    files: list[FileResult] = field(default_factory=list)
    #: Errors of the whole load, after every file (plugin requirements).
    requirement_errors: list[Message] = field(default_factory=list)
    #: Syscall rules, which plugref does not check (RULES-UNKNOWN-SOURCE): a load with them is not a clean load.
    not_checked: list[str] = field(default_factory=list)

    @property
    def successful(self) -> bool:
        return not self.requirement_errors and all(f.successful for f in self.files)

    def first_error(self) -> Message | None:
        # A plugin-requirement error takes precedence over rule errors, as in Falco.
        if self.requirement_errors:
            return self.requirement_errors[0]
        return next((m for f in self.files for m in f.errors), None)

    def warnings(self) -> list[Message]:
        return [m for f in self.files for m in f.warnings]

    def not_checked_line(self) -> str | None:
        if not self.not_checked:
            return None
        return (f"Not checked: {len(self.not_checked)} syscall rule(s), since plugref does not model the syscall "
                f"source: {', '.join(self.not_checked)}")

    def verbose(self) -> str:
        blocks = [f.verbose() for f in self.files]
        blocks += [f"Error: {m.message}" for m in self.requirement_errors]
        if self.not_checked_line():
            blocks.append(self.not_checked_line())
        return "\n".join(blocks)

    def to_json(self) -> dict:
        document = {"falco_load_results": [f.to_json() for f in self.files]}
        if self.requirement_errors:
            document["requirement_errors"] = [m.to_json() for m in self.requirement_errors]
        if self.not_checked:
            document["not_checked"] = {"source": "syscall", "reason": "plugref does not model the syscall source",
                                       "rules": list(self.not_checked)}
        return document
