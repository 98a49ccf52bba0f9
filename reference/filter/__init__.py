"""The filter (condition) language: lexer, parser to an AST, printer, transformers and compiler.

    ast = parse("x.word in (nginx, sshd) and x.i > 100 and toupper(x.path) = val(x.other)")
    matches = compile_filter(ast, fields)      # fields: a reference.host.event_fields.FieldTable
"""
from reference.filter.ast import And, Check, FieldRef, Identifier, ListValue, Literal, Not, Or, Transformer, to_text
from reference.filter.compiler import CompiledFilter, compile_filter
from reference.filter.errors import FilterError
from reference.filter.parser import parse

__all__ = ["And", "Check", "CompiledFilter", "FieldRef", "FilterError", "Identifier", "ListValue", "Literal", "Not",
           "Or", "Transformer", "compile_filter", "parse", "to_text"]
