"""PHP's ``preg_match`` patterns (``/^[0-9]+$/i``), reproduced with Python's :mod:`re`.

Laravel's ``regex:`` and ``not_regex:`` hand the pattern to PCRE. Python's ``re`` reads
most of the same syntax the same way, but not all of it, and a response check that
matches what PHP would not (or the reverse) is a check that lies. So a pattern is
*translated*: every construct is either reproduced exactly or refused at config load
with a message that names it. What is reproduced:

- **Delimiters** as PHP reads them: leading whitespace skipped; any ASCII punctuation
  (``/ # ~ ! @ % , ; |`` …); brackets ``( ) [ ] { } < >`` in pairs, nested; the pattern
  ends at the first unescaped closing delimiter; what follows are flags.
- **Flags** ``i m s x u`` (spaces and line breaks between them are ignored, as PHP
  does). Others (``A D S U X J n``) are refused.
- **Without ``u``** PCRE matches bytes: the pattern and the text are UTF-8 bytes,
  ``\\w``, ``\\d``, ``\\s``, ``\\b`` and ``i`` know ASCII only, and ``.`` is one byte
  (``/^\\w+$/`` does not match ``été``; ``/^.{3}$/`` does not match it either: it is 5
  bytes). Python's bytes patterns have exactly these meanings.
- **With ``u``** PHP sets PCRE2's UTF and UCP modes: characters, Unicode ``\\w \\d
  \\b`` and case folding — as Python's str patterns (both on Unicode 14 here). PCRE's
  Unicode ``\\s`` differs from Python's, so it is spelled out.
- Where the two engines read the same text differently, the text is rewritten: ``\\z``
  and ``\\Z``; ``^`` with ``m`` (PCRE does not match after a final newline); ``\\e``,
  ``\\xh``, ``\\x{hh}``, ``\\0oo``; ``(?<name>…)``; ``{`` that is not a PCRE quantifier
  (``{,3}`` is literal text for PCRE, a quantifier for Python); ``[``, ``&``, ``~``,
  ``|`` inside a class.

Refused (PCRE syntax Python lacks or reads differently): ``\\p{…}``, ``\\h``, ``\\v``,
``\\R``, ``\\K``, ``\\G``, ``\\Q…\\E``, ``\\g``, ``\\k``, ``\\c``, ``\\o``, POSIX classes
``[[:alpha:]]``, recursion and conditionals, ``(*VERBS)``, inline flags other than
``i`` and ``s``, multi-digit back-references, ``--`` inside a class.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Final

from irp.template.bounded_match import bounded_search

__all__ = ["PhpPattern", "compile_php_pattern"]

_C_SPACE: Final = " \t\n\v\f\r"
_CLOSING: Final = {"(": ")", "[": "]", "{": "}", "<": ">"}
_FLAGS: Final = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}
_MAX_REPEAT: Final = 65535  # PCRE2's limit on {n,m}
_QUANTIFIER: Final = re.compile(r"\{([0-9]+)(?:(,)([0-9]*))?\}")
_HEX_DIGITS: Final = re.compile(r"[0-9a-fA-F]{0,2}")
_BRACED_HEX: Final = re.compile(r"\{([0-9a-fA-F]{1,8})\}")
_OCTAL_DIGITS: Final = re.compile(r"[0-7]{1,3}")
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}")
_INLINE_FLAGS: Final = re.compile(r"\(\?([is]*)(?:-([is]*))?([:)])")
# PCRE2 10.42 with UCP: \s is these 26 characters (Python's adds U+001C-001F, drops U+180E).
_UCP_SPACE: Final = (
    "\\t\\n\\x0b\\x0c\\r\\x20\\x85\\xa0\\u1680\\u180e\\u2000-\\u200a\\u2028\\u2029"
    "\\u202f\\u205f\\u3000"
)
# With i and u, Python folds i, I, U+0131 (dotless i) and U+0130 (dotted I) together;
# PCRE pairs only i with I.
_TURKISH_I: Final = "iI\u0131\u0130"
_PCRE_CASE: Final = {"i": "[iI]", "I": "[iI]", "\u0131": "\u0131", "\u0130": "\u0130"}
_PCRE_ONLY: Final = {
    "p": "Unicode properties (\\p{...})",
    "P": "Unicode properties (\\P{...})",
    "X": "extended grapheme clusters (\\X)",
    "R": "any newline (\\R)",
    "h": "horizontal whitespace (\\h)",
    "H": "non-horizontal-whitespace (\\H)",
    "v": "vertical whitespace (\\v)",
    "V": "non-vertical-whitespace (\\V)",
    "K": "match reset (\\K)",
    "G": "the first-match anchor (\\G)",
    "C": "single code unit (\\C)",
    "N": "\\N",
    "Q": "quoting (\\Q...\\E)",
    "E": "quoting (\\Q...\\E)",
    "g": "back-references written \\g",
    "k": "named back-references written \\k (write (?P=name))",
    "c": "control characters (\\cX; write \\x01 and so on)",
    "o": "octal escapes written \\o{...}",
}
_SAME_ESCAPES: Final = frozenset("dDwWbBAnrtfa")
_SAME_CLASS_ESCAPES: Final = frozenset("dDwWnrtfa")


@dataclass(frozen=True)
class PhpPattern:
    """A compiled PHP pattern; :meth:`search` answers what ``preg_match`` would."""

    text: str
    _unicode: re.Pattern[str] | None  # with the u flag: matches characters
    _bytes: re.Pattern[bytes] | None  # without it: matches the UTF-8 bytes

    def search(self, subject: str) -> bool | None:
        """Whether the pattern matches somewhere in ``subject``.

        None when ``subject`` is not valid Unicode text (a lone surrogate), where PHP's
        ``preg_match`` fails instead of answering. A search that outlasts
        :data:`~irp.template.bounded_match.MATCH_SECONDS` raises
        :class:`~irp.template.bounded_match.MatchLimitError`, where PHP's fails past
        ``pcre.backtrack_limit`` (a supplier's answer must not hang IRP).
        """
        try:
            data = subject.encode("utf-8")
        except UnicodeEncodeError:
            return None
        if self._unicode is not None:
            return bounded_search(self._unicode, subject)
        assert self._bytes is not None
        return bounded_search(self._bytes, data)


def compile_php_pattern(text: str) -> PhpPattern:
    """Compile a delimited PHP pattern, or raise ValueError saying what to write instead.

    ``compile_php_pattern("/^SO-[0-9]+$/i").search("so-12") is True``;
    ``compile_php_pattern("/^\\\\w+$/").search("été") is False`` (as in PHP: no ``u``).
    """
    if "\0" in text:
        raise ValueError("a pattern cannot contain a NUL character; write \\x00")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the pattern is not valid Unicode text") from None
    body, flags = _split_delimiters(text)
    utf = "u" in flags
    re_flags = 0
    for letter in set(flags) - {"u"}:
        re_flags |= _FLAGS[letter]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        translated = _Translator(body, flags, utf=utf).translate()
        try:
            if utf:
                return PhpPattern(text, re.compile(translated, re_flags), None)
            return PhpPattern(text, None, re.compile(translated.encode("utf-8"), re_flags))
        except re.error as exc:
            raise ValueError(
                f"the pattern {text!r} is not a valid regular expression: {exc.msg}"
            ) from None
        except Warning as exc:  # Python would read it differently (nested sets, ...)
            raise ValueError(f"the pattern {text!r} is ambiguous: {exc}") from None


def _guard_turkish_i(cls: str) -> str:
    """A class under the flags i and u, made to match the four Turkish i's as PCRE does.

    Python folds i, I, U+0131 and U+0130 together, PCRE pairs only i with I: ``[a-z]``
    would match the dotless i in Python. The class is tried on the four letters both
    ways; the ones Python would get wrong are excluded (or added) case-sensitively.
    """
    negated = cls.startswith("[^")
    try:
        folded = re.compile(cls, re.IGNORECASE)
        exact = re.compile("[" + cls[2:] if negated else cls)
    except (re.error, Warning):
        return cls  # the whole pattern then fails to compile and says why

    def pcre_matches(char: str) -> bool:
        partners = "iI" if char in "iI" else char
        return any(exact.fullmatch(p) for p in partners) != negated

    wrong = "".join(c for c in _TURKISH_I if folded.fullmatch(c) and not pcre_matches(c))
    lacking = "".join(c for c in _TURKISH_I if pcre_matches(c) and not folded.fullmatch(c))
    if not (wrong or lacking):
        return cls
    guarded = f"(?!(?-i:[{wrong}])){cls}" if wrong else cls
    if lacking:
        guarded = f"(?-i:[{lacking}])|{guarded}"
    return f"(?:{guarded})"


def _split_delimiters(text: str) -> tuple[str, str]:
    """``/a\\/b/iu`` -> (``a\\/b``, ``iu``), as PHP's ``preg_*`` reads the delimiters."""
    stripped = text.lstrip(_C_SPACE)
    if not stripped:
        raise ValueError("the pattern is empty; write it delimited, e.g. /^[0-9]+$/")
    opening = stripped[0]
    if opening.isalnum() or opening == "\\" or not opening.isascii():
        raise ValueError(
            f"the pattern must be delimited as in Laravel (/^[0-9]+$/), not {text!r}: "
            "the delimiter is an ASCII punctuation character such as / # ~"
        )
    closing = _CLOSING.get(opening, opening)
    depth = 1
    index = 1
    while index < len(stripped):
        char = stripped[index]
        if char == "\\" and index + 1 < len(stripped):
            index += 2
            continue
        if char == closing:
            depth -= 1
            if depth == 0 or closing == opening:
                break
        elif char == opening:
            depth += 1
        index += 1
    else:
        raise ValueError(f"the pattern {text!r} has no closing delimiter {closing!r}")
    flags = ""
    for letter in stripped[index + 1 :]:
        if letter in " \n\r":
            continue
        if letter not in "imsxu":
            raise ValueError(
                f"unsupported pattern flag {letter!r} in {text!r} (IRP reproduces i, m, s, x "
                "and u; regex: must be the last rule of its key)"
            )
        flags += letter
    return stripped[1:index], flags


class _Translator:
    """Walks one PCRE pattern and writes the Python pattern that matches the same."""

    def __init__(self, pattern: str, flags: str, *, utf: bool) -> None:
        self.pattern = pattern
        self.utf = utf
        self.extended = "x" in flags
        self.multiline = "m" in flags
        self.caseless_unicode = utf and "i" in flags
        self.after_assertion = False  # a rewritten ^ or \Z, which PCRE cannot repeat
        self.index = 0
        self.out: list[str] = []

    def refuse(self, problem: str) -> ValueError:
        return ValueError(f"{problem} (at column {self.index + 1} of the pattern)")

    def peek(self, offset: int = 0) -> str:
        position = self.index + offset
        return self.pattern[position] if position < len(self.pattern) else ""

    def translate(self) -> str:
        if self.extended:
            self._check_extended_spaces()
        while self.index < len(self.pattern):
            char = self.pattern[self.index]
            if self.extended and char in _C_SPACE:
                self.out.append(char)  # skipped by both engines; does not end an item
                self.index += 1
                continue
            after = self.after_assertion
            quantifier = char in "*+?" or (
                char == "{" and _QUANTIFIER.match(self.pattern, self.index) is not None
            )
            if quantifier and self.after_assertion:
                raise self.refuse("nothing to repeat: an anchor cannot take a quantifier")
            self.after_assertion = False
            if char == "\\":
                self.escape(in_class=False)
            elif char == "[":
                self.character_class()
            elif char == "(":
                self.group()
            elif char == "{":
                self.brace()
            elif char == "^" and self.multiline:
                self.out.append("(?:\\A|(?<=\\n)(?!\\Z))")
                self.after_assertion = True
                self.index += 1
            elif char == "#" and self.extended:
                end = self.pattern.find("\n", self.index)
                end = len(self.pattern) if end < 0 else end
                self.out.append(self.pattern[self.index : end])
                self.index = end
                self.after_assertion = after  # a comment does not end an item either
            elif char in "*+?":
                self.out.append(char)
                self.index += 1
                self.quantifier_mode()
            else:
                self.literal(char)
                self.index += 1
        return "".join(self.out)

    def literal(self, char: str) -> None:
        if self.caseless_unicode and char in _TURKISH_I:
            self.out.append(f"(?-i:{_PCRE_CASE[char]})")
        else:
            self.out.append(char)

    def _check_extended_spaces(self) -> None:
        # PCRE's x mode also skips NEL, U+200E/F, U+2028/9 (and the byte 0x85 without u).
        for index, char in enumerate(self.pattern):
            special = char in "\x85\u200e\u200f\u2028\u2029"
            if special or (not self.utf and b"\x85" in char.encode("utf-8")):
                self.index = index
                raise self.refuse(f"with the x flag PCRE skips {char!r} as space; escape it")

    # --- escapes -------------------------------------------------------------------------

    def escape(self, *, in_class: bool) -> None:
        letter = self.peek(1)
        if not letter:
            raise self.refuse("the pattern ends with a lone backslash")
        if not (letter.isascii() and letter.isalnum()):
            self.out.append("\\" + letter)
            self.index += 2
            return
        same = _SAME_CLASS_ESCAPES if in_class else _SAME_ESCAPES
        if letter in same:
            self.out.append("\\" + letter)
            self.index += 2
        elif letter in "sS":
            self.space_escape(letter, in_class=in_class)
        elif letter == "b":  # inside a class: backspace
            self.out.append("\\x08")
            self.index += 2
        elif letter == "e":
            self.out.append("\\x1b")
            self.index += 2
        elif letter == "x":
            self.hex_escape(in_class=in_class)
        elif letter == "0":
            self.octal_escape(in_class=in_class)
        elif letter.isdigit() and not in_class:
            if self.peek(2).isdigit():
                raise self.refuse("a back-reference of more than one digit is ambiguous in PCRE")
            if self.caseless_unicode:
                raise self.refuse("a back-reference with the flags i and u cannot be reproduced")
            self.out.append("\\" + letter)
            self.index += 2
        elif letter == "z" and not in_class:
            self.out.append("\\Z")
            self.index += 2
        elif letter == "Z" and not in_class:
            self.out.append("(?=\\n?\\Z)")
            self.after_assertion = True
            self.index += 2
        elif letter in _PCRE_ONLY:
            raise self.refuse(f"{_PCRE_ONLY[letter]} cannot be reproduced exactly; rewrite it")
        else:
            raise self.refuse(f"'\\{letter}' is not an escape PCRE and Python read alike")

    def space_escape(self, letter: str, *, in_class: bool) -> None:
        if not self.utf:
            self.out.append("\\" + letter)  # bytes: HT LF VT FF CR space in both engines
        elif letter == "s":
            self.out.append(_UCP_SPACE if in_class else f"[{_UCP_SPACE}]")
        elif in_class:
            raise self.refuse("\\S inside [...] with the u flag cannot be reproduced; use [^\\s]")
        else:
            self.out.append(f"[^{_UCP_SPACE}]")
        self.index += 2

    def hex_escape(self, *, in_class: bool) -> None:
        start = self.index + 2
        if self.peek(2) == "{":
            braced = _BRACED_HEX.match(self.pattern, start)
            if braced is None:
                raise self.refuse("\\x{...} needs hexadecimal digits")
            self.emit_code(int(braced.group(1), 16), in_class=in_class)
            self.index = braced.end()
            return
        short = _HEX_DIGITS.match(self.pattern, start)
        assert short is not None  # it matches the empty string too
        self.emit_code(int(short.group() or "0", 16), in_class=in_class)
        self.index = short.end()

    def octal_escape(self, *, in_class: bool) -> None:
        digits = _OCTAL_DIGITS.match(self.pattern, self.index + 1)
        assert digits is not None  # \0 itself is an octal digit
        self.emit_code(int(digits.group(), 8), in_class=in_class)
        self.index = digits.end()

    def emit_code(self, value: int, *, in_class: bool) -> None:
        if not self.utf and value > 0xFF:
            raise self.refuse(f"character {value:#x} is more than a byte; add the u flag")
        if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
            raise self.refuse(f"character {value:#x} is not a Unicode character")
        if not in_class and self.caseless_unicode and chr(value) in _TURKISH_I:
            self.literal(chr(value))
            return
        self.out.append(f"\\x{value:02x}" if value <= 0xFF else f"\\U{value:08x}")

    # --- classes, groups, quantifiers ------------------------------------------------------

    def character_class(self) -> None:
        start = len(self.out)
        self.class_body()
        if self.caseless_unicode:
            self.out[start:] = [_guard_turkish_i("".join(self.out[start:]))]

    def class_body(self) -> None:
        self.out.append("[")
        self.index += 1
        if self.peek() == "^":
            self.out.append("^")
            self.index += 1
        if self.peek() == "]":
            self.out.append("\\]")
            self.index += 1
        while True:
            char = self.peek()
            if not char:
                raise self.refuse("a [ is never closed with ]")
            if char == "]":
                self.out.append("]")
                self.index += 1
                return
            if char == "\\":
                self.escape(in_class=True)
            elif char == "[":
                if self.peek(1) in (":", ".", "="):
                    raise self.refuse("POSIX classes such as [[:alpha:]] cannot be reproduced")
                self.out.append("\\[")
                self.index += 1
            elif char == "-" and self.peek(1) == "-":
                raise self.refuse("'--' inside [...] reads differently in Python; write \\-")
            elif char in "&~|":
                self.out.append("\\" + char)
                self.index += 1
            else:
                self.out.append(char)
                self.index += 1

    def group(self) -> None:
        rest = self.pattern[self.index :]
        if rest.startswith("(*"):
            raise self.refuse("PCRE verbs such as (*UTF) cannot be reproduced")
        if not rest.startswith("(?"):
            self.out.append("(")
            self.index += 1
            return
        if rest.startswith("(?P="):
            self.named_group(len("(?P="), ")", "(?P={name})")
            return
        for same in ("(?:", "(?=", "(?!", "(?<=", "(?<!", "(?>"):
            if rest.startswith(same):
                self.out.append(same)
                self.index += len(same)
                return
        if rest.startswith("(?#"):
            end = self.pattern.find(")", self.index)
            if end < 0:
                raise self.refuse("a (?# comment is never closed")
            self.out.append(self.pattern[self.index : end + 1])
            self.index = end + 1
            return
        for opening, closing in (("(?P<", ">"), ("(?<", ">"), ("(?'", "'")):
            if rest.startswith(opening):
                self.named_group(len(opening), closing, "(?P<{name}>")
                return
        flags = _INLINE_FLAGS.match(rest)
        if flags is not None:
            if self.utf and "i" in flags.group():
                raise self.refuse("with the u flag, give i after the closing delimiter, not inline")
            self.out.append(flags.group())
            self.index += flags.end()
            return
        raise self.refuse(
            "this (? group cannot be reproduced (IRP knows (?:, (?=, (?!, (?<=, (?<!, (?>, "
            "(?P<name>, (?<name>, (?#...) and the inline flags i and s)"
        )

    def named_group(self, prefix: int, closing: str, python: str) -> None:
        match = _NAME.match(self.pattern, self.index + prefix)
        if match is None or self.pattern[match.end() : match.end() + 1] != closing:
            raise self.refuse("a group name is letters, digits and _ (not first), up to 32")
        self.out.append(python.format(name=match.group()))
        self.index = match.end() + 1

    def brace(self) -> None:
        match = _QUANTIFIER.match(self.pattern, self.index)
        if match is None:
            self.out.append("\\{")  # PCRE: literal text, e.g. {,3} or {a}
            self.index += 1
            return
        low, _, high = match.groups()
        bounds = [int(low)] + ([int(high)] if high else [])
        if any(bound > _MAX_REPEAT for bound in bounds):
            raise self.refuse(f"a repeat count above {_MAX_REPEAT} is refused by PCRE")
        self.out.append(match.group())
        self.index = match.end()
        self.quantifier_mode()

    def quantifier_mode(self) -> None:
        """With x, PCRE skips space and comments between a quantifier and its ? or +."""
        if not self.extended:
            return
        probe = self.index
        while probe < len(self.pattern):
            if self.pattern[probe] in _C_SPACE:
                probe += 1
            elif self.pattern[probe] == "#":
                end = self.pattern.find("\n", probe)
                probe = len(self.pattern) if end < 0 else end + 1
            else:
                break
        if probe < len(self.pattern) and self.pattern[probe] in "?+":
            self.out.append(self.pattern[probe])
            self.index = probe + 1
