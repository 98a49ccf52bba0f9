"""The filter (condition) language: lexer, parser to an AST, printer, and compiler.

    ast = parse("x.word in (nginx, sshd) and x.i > 100")
    matches = compile_filter(ast, fields)      # fields: a reference.event_fields.FieldTable
"""
from .ast import And, Check, FieldRef, Identifier, ListValue, Not, Or, to_text
from .compiler import CompiledFilter, compile_filter
from .errors import FilterError
from .parser import parse

__all__ = ["And", "Check", "CompiledFilter", "FieldRef", "FilterError", "Identifier", "ListValue", "Not", "Or",
           "compile_filter", "parse", "to_text"]
