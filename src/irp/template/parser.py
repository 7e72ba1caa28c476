"""Tokenizer and recursive-descent parser for one template expression.

Grammar (whitespace between tokens is ignored outside literals)::

    expression := "!" [ "(" CAST ")" ] VERBATIM          constant
                | "%ITEMS%"                              the rendered item list
                | [ "(" CAST ")" ] path ( "->" NAME )*   lookup, filters, cast
    path       := WORD ( "." WORD )*
    WORD       := [A-Za-z0-9_]+                          (all digits = list index)

The parser only knows the syntax; which filters and context paths exist is checked by
:mod:`irp.template.payload`. Every error is a :class:`~irp.errors.TemplateError` whose
message quotes the expression and says what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from irp.errors import TemplateError
from irp.template.casts import CASTS

ITEMS_PLACEHOLDER: Final = "%ITEMS%"
_WORD: Final = re.compile(r"[A-Za-z0-9_]+")
_LITERAL_CAST: Final = re.compile(r"\(([A-Za-z_][A-Za-z0-9_]*)?\)")


@dataclass(frozen=True)
class LiteralExpr:
    """``!text`` or ``!(cast)text``: a constant; ``text`` is everything after the prefix."""

    text: str
    cast: str | None


@dataclass(frozen=True)
class LookupExpr:
    """``(cast)path->filter->filter``: evaluated as path, then filters, then the cast."""

    path: tuple[str, ...]
    filters: tuple[str, ...]
    cast: str | None

    @property
    def path_text(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class ItemsExpr:
    """``%ITEMS%``: the ``item_object`` rendered once per order line."""


Expression = LiteralExpr | LookupExpr | ItemsExpr


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "(", ")", ".", "->", "end"
    text: str
    position: int  # 1-based column in the expression, for messages


def _known_casts() -> str:
    return ", ".join(f"({name})" for name in CASTS)


def _fail(expression: str, problem: str) -> TemplateError:
    return TemplateError(f"{expression!r}: {problem}")


def tokenize(expression: str) -> list[Token]:
    """Split a lookup expression into tokens; an unexpected character is an error."""
    tokens: list[Token] = []
    index = 0
    while index < len(expression):
        char = expression[index]
        if char.isspace():
            index += 1
            continue
        if expression.startswith("->", index):
            tokens.append(Token("->", "->", index + 1))
            index += 2
            continue
        if char in "().":
            tokens.append(Token(char, char, index + 1))
            index += 1
            continue
        match = _WORD.match(expression, index)
        if match is None:
            raise _fail(expression, f"unexpected character {char!r} at column {index + 1}")
        tokens.append(Token("word", match.group(), index + 1))
        index = match.end()
    tokens.append(Token("end", "", len(expression) + 1))
    return tokens


class _Parser:
    """Recursive descent over the token list of one lookup expression."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = tokenize(expression)
        self.index = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, problem: str) -> TemplateError:
        return _fail(self.expression, problem)

    def parse(self) -> LookupExpr:
        cast = self.parse_cast()
        path = self.parse_path(cast)
        filters = self.parse_filters()
        token = self.peek()
        if token.kind != "end":
            raise self.error(f"unexpected {token.text!r} at column {token.position}")
        return LookupExpr(path=path, filters=filters, cast=cast)

    def parse_cast(self) -> str | None:
        if self.peek().kind != "(":
            return None
        self.take()
        name = self.take()
        if name.kind != "word":
            raise self.error(f"expected a cast name after '(' (one of {_known_casts()})")
        if self.take().kind != ")":
            raise self.error(f"expected ')' after '({name.text}'")
        if name.text not in CASTS:
            raise self.error(f"unknown cast ({name.text}); known casts: {_known_casts()}")
        return name.text

    def parse_path(self, cast: str | None) -> tuple[str, ...]:
        first = self.peek()
        if first.kind != "word":
            if first.kind == "end" and cast is not None:
                raise self.error(f"empty path: the cast ({cast}) has no path after it")
            raise self.error(
                f"empty path: expected a context path at column {first.position}, "
                f"found {first.text or 'the end'!r}"
            )
        segments = [self.take().text]
        while self.peek().kind == ".":
            dot = self.take()
            segment = self.peek()
            if segment.kind != "word":
                raise self.error(f"empty path segment after '.' at column {dot.position}")
            segments.append(self.take().text)
        return tuple(segments)

    def parse_filters(self) -> tuple[str, ...]:
        names: list[str] = []
        while self.peek().kind == "->":
            arrow = self.take()
            name = self.peek()
            if name.kind != "word":
                raise self.error(f"'->' at column {arrow.position} must be followed by a filter")
            names.append(self.take().text)
        return tuple(names)


def _parse_literal(expression: str, body: str) -> LiteralExpr:
    match = _LITERAL_CAST.match(body)
    if match is None:
        return LiteralExpr(text=body, cast=None)
    name = match.group(1) or ""
    if name not in CASTS:
        raise _fail(
            expression,
            f"unknown cast ({name}) in a constant; known casts: {_known_casts()}. "
            f"For a constant that starts with '(', write '!(string){body}'",
        )
    return LiteralExpr(text=body[match.end() :], cast=name)


def parse_expression(expression: str) -> Expression:
    """Parse one template value into its AST node.

    ``parse_expression("(float)unit_price_tax_excl->formatByDecimal")`` gives
    ``LookupExpr(("unit_price_tax_excl",), ("formatByDecimal",), "float")``.
    """
    stripped = expression.strip()
    if not stripped:
        raise _fail(expression, "empty expression: write a context path, !constant or %ITEMS%")
    if stripped.startswith("!"):
        return _parse_literal(expression, expression.lstrip()[1:])
    if stripped.startswith("%"):
        if stripped == ITEMS_PLACEHOLDER:
            return ItemsExpr()
        raise _fail(expression, f"unknown placeholder; the only one is {ITEMS_PLACEHOLDER}")
    return _Parser(expression).parse()
