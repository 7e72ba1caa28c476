"""Cases for the Laravel differential test: every rule against tricky values.

A case is an ``asserts`` key with its rules and a response body given as raw JSON
text, so IRP (``irp.orders.classify.parse_body``) and PHP (``json_decode``) read the
very same bytes: ``201.0`` stays a float, ``1e2`` a number, ``"1e2"`` a string.
"""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import dataclass

MISSING_VALUE = "<missing>"
"""The value of a case whose key is absent from the body."""


@dataclass(frozen=True)
class Case:
    """One check: ``rules`` on ``key`` against ``body`` (raw JSON) or the HTTP status."""

    key: str
    rules: tuple[str, ...]
    body: str  # raw JSON text of the response body ("" for a status case)
    value: str  # raw JSON of the value under test, or MISSING_VALUE
    status: int = 201

    @property
    def names(self) -> frozenset[str]:
        """The rule names (``in`` for ``in:a,b``)."""
        return frozenset(rule.partition(":")[0] for rule in self.rules)

    @property
    def missing(self) -> bool:
        return self.value == MISSING_VALUE

    def decoded(self) -> object:
        """The value as Python's json reads it (only when not missing)."""
        return json.loads(self.value)

    def describe(self) -> str:
        where = f"status {self.status}" if not self.body else self.body
        return f"{self.key}: {'|'.join(self.rules)} on {where}"


# Raw JSON values. Numbers are written as a supplier would send them.
VALUES: tuple[str, ...] = (
    "null",
    '""',
    '" "',
    '"\\t"',
    '"\\u0000"',
    "[]",
    "{}",
    "0",
    '"0"',
    "false",
    "true",
    '"true"',
    '"false"',
    "1",
    '"1"',
    "-0",
    "0.0",
    "201",
    '"201"',
    "201.0",
    '"201.0"',
    "2.01e2",
    "1e2",
    '"1e2"',
    '"1E2"',
    "1.5",
    '"1.5"',
    '" 201"',
    '"201 "',
    '"\\n201\\n"',
    '"+201"',
    "-201",
    '"-201"',
    '"-0"',
    '"012"',
    '"00"',
    '"0x1A"',
    '".5"',
    '"5."',
    '"1_000"',
    '"abc"',
    '"ABC"',
    '"a,b"',
    '"a\\"b"',
    '"a\\\\\\",b"',
    '"été"',
    '"ÉTÉ"',
    '"日本"',
    '"Ǆ"',
    '"\\u212a"',
    '"\\u017f"',
    '"\\u00a0"',
    '"\\u0085"',
    '"\\u001c"',
    '"\\u2003"',
    '"a\\nb"',
    '"a\\n"',
    '"SO-123"',
    '"so-123"',
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    '"9223372036854775808"',
    "1e20",
    "[1]",
    '["a"]',
    '["a","b"]',
    '["a","x"]',
    '["201"]',
    "[201]",
    "[201.0]",
    "[true]",
    "[null]",
    "[[1]]",
    '{"a":1}',
    '{"0":"a"}',
)

RULESETS: tuple[tuple[str, ...], ...] = (
    ("present",),
    ("filled",),
    ("required",),
    ("sometimes",),
    ("nullable",),
    ("numeric",),
    ("integer",),
    ("string",),
    ("boolean",),
    ("array",),
    ("nullable", "integer"),
    ("nullable", "in:a"),
    ("sometimes", "in:a"),
    ("required", "string"),
    ("present", "nullable", "string"),
    ("filled", "integer"),
    ("in:201",),
    ("in:201,202",),
    ("in:0",),
    ("in:1",),
    ("in:true",),
    ("in:a",),
    ("in:abc",),
    ("in:été",),
    ('in:"a,b",c',),
    ('in:"a\\",b"',),
    ('in:a\\",b',),
    ('in: "a" ,b',),
    ('in:"a""b"',),
    ("in:a,b,",),
    ("in:100",),
    ("in:9223372036854775808",),
    ("in:18446744073709551616",),
    ("not_in:201",),
    ("not_in:a,b",),
    ("not_in:true",),
    ("array", "in:a,b"),
    ("array", "in:201"),
    ("array", "not_in:a,b"),
    ("array", "not_in:201"),
    ("boolean", "in:1"),
    ("numeric", "min:3"),
    ("numeric", "max:200"),
    ("numeric", "min:1e2"),
    ("integer", "min:201"),
    ("integer", "max:201"),
    ("string", "min:3"),
    ("string", "max:3"),
    ("array", "min:1"),
    ("array", "max:1"),
    ("nullable", "string", "max:3"),
    ("regex:/^[0-9]+$/",),
    ("regex:/^\\w+$/",),
    ("regex:/^\\w+$/u",),
    ("regex:/^.{3}$/",),
    ("not_regex:/^\\w+$/",),
    ("not_regex:/[A-Z]/",),
)


def value_cases() -> list[Case]:
    """Every ruleset against every value (and a missing key), on the body key ``v``."""
    cases = []
    for rules in RULESETS:
        for value in VALUES:
            cases.append(Case("v", rules, f'{{"v":{value}}}', value))
        cases.append(Case("v", rules, "{}", MISSING_VALUE))
        cases.append(Case("v", rules, "not json", MISSING_VALUE))
    return cases


_PATH_BODIES: tuple[str, ...] = (
    '{"a":{"b":"x"}}',
    '{"a":{"b":null}}',
    '{"a":{"b":["x"]}}',
    '{"a":"b"}',
    '{"l":["x","y"]}',
    '{"l":[]}',
    '{"l":[{"sku":"x"}]}',
    '{"o":{"0":"x","00":"y","-1":"z"}}',
    '{"a.b":"x"}',
    '{"a":{"b.c":"x"}}',
    "[]",
    '["x"]',
)
_PATH_KEYS: tuple[str, ...] = (
    "a",
    "a.b",
    "a.b.0",
    "a.b.c",
    "a\\.b",
    "a.b\\.c",
    "l.0",
    "l.1",
    "l.2",
    "l.-1",
    "l.0.sku",
    "o.0",
    "o.-1",
    "0",
)
_PATH_RULES: tuple[tuple[str, ...], ...] = (
    ("present",),
    ("required",),
    ("filled",),
    ("in:x",),
    ("string",),
    ("array",),
    ("sometimes", "in:x"),
    ("sometimes", "string"),
)


def path_cases() -> list[Case]:
    """Nested, dotted and numeric paths against bodies of every shape."""
    from irp.template.paths import MISSING, parse_body_path, resolve_path

    cases = []
    for body in _PATH_BODIES:
        for key in _PATH_KEYS:
            found = resolve_path(json.loads(body), parse_body_path(key))
            value = MISSING_VALUE if found is MISSING else json.dumps(found)
            for rules in _PATH_RULES:
                cases.append(Case(key, rules, body, value))
    return cases


_STATUS_RULES: tuple[tuple[str, ...], ...] = (
    ("in:201",),
    ("in:200,201",),
    ("not_in:500",),
    ("integer",),
    ("numeric",),
    ("string",),
    ("boolean",),
    ("integer", "min:200", "max:299"),
    ("regex:/^2[0-9]{2}$/",),
)


def status_cases() -> list[Case]:
    """The ``status`` key is the HTTP status, an integer."""
    return [
        Case("status", rules, "", str(status), status)
        for rules in _STATUS_RULES
        for status in (200, 201, 204, 500)
    ]


# Patterns written the way operators write them, and what PCRE and Python read apart.
PATTERNS: tuple[str, ...] = (
    "/^[0-9]+$/",
    "/^\\w+$/",
    "/^\\w+$/u",
    "/^.{3}$/",
    "/^.{3}$/u",
    "/^so-/i",
    "/^(SO|so)-[0-9]+$/",
    "#^[0-9]+$#",
    "{^[0-9]{3}$}",
    "(^a)",
    "[^a]",
    "<^a>",
    " /^a/",
    "/^a/ i",
    "/a\\/b/",
    "/^\\s$/",
    "/^\\s$/u",
    "/^\\S+$/u",
    "/^\\d+$/u",
    "/^\\bé/u",
    "/^é/i",
    "/^é/iu",
    "/^É/iu",
    "/^[a-z]+$/i",
    "/^[a-z]+$/iu",
    "/^[^a-z]+$/iu",
    "/^i$/iu",
    "/^I$/iu",
    "/^\u0131$/iu",
    "/^[\u0131]$/iu",
    "/^\\x49$/iu",
    "/^k$/iu",
    "/^s$/iu",
    "/^[é]$/",
    "/^[é]+$/",
    "/^é+$/",
    "/^\\xc3/",
    "/^\\x{e9}/u",
    "/^\\x41/i",
    "/^a{,2}$/",
    "/^a{2}$/",
    "/^\\0/",
    "/^a\\e/",
    "/b$/",
    "/b\\z/",
    "/b\\Z/",
    "/^$/m",
    "/^b$/m",
    "/a$/m",
    "/a.b/",
    "/a.b/s",
    "/a b/x",
    "/a b # comment/x",
    "/a[ ]b/x",
    "/(?<x>a)b/",
    "/(?P<x>a)(?P=x)/",
    "/(a)\\1/",
    "/(?i)abc/",
    "/a(?i:b)c/",
    "/(?>a+)b/",
    "/a++b/",
    "/(?=a)a/",
    "/(?<!b)a/",
    "/[[]/",
    "/[]a]/",
    "/[a&&b]/",
    "/[\\w-]+/",
    "/\\bword\\b/u",
    "/^[[:alpha:]]+$/",
    "/^\\p{Lu}/u",
    "/a\\Kb/",
    "/^a/D",
)
SUBJECTS: tuple[str, ...] = (
    "a",
    "b",
    "aa",
    "aaa",
    "abc",
    "ABC",
    "a b",
    "ab",
    "a\nb",
    "a\n",
    "b\n",
    "\n\nb",
    "x\nb\n",
    "a/b",
    "été",
    "ÉTÉ",
    "é",
    "ée",
    "日本",
    "Ǆ",
    "\u212a",
    "\u017f",
    "i",
    "I",
    "\u0131",
    "\u0130",
    "\u00a0",
    "\u0085",
    "\u001c",
    "\u180e",
    "\u2003",
    "\u0663",
    "\x00a",
    "\x1b",
    "a\x1b",
    "SO-123",
    "so-123",
    "123",
    "12",
    "word",
    "a word here",
    "[",
    "]",
    "&",
    "abcabc",
    "a+b",
)


def regex_cases() -> list[Case]:
    """Every pattern against every subject (``regex:``), and its ``not_regex:``."""
    cases = []
    for pattern, subject in itertools.product(PATTERNS, SUBJECTS):
        body = json.dumps({"v": subject})
        for rule in ("regex", "not_regex"):
            cases.append(Case("v", ("string", f"{rule}:{pattern}"), body, json.dumps(subject)))
    return cases


_ATOMS: tuple[str, ...] = (
    "a", "A", "b", "é", "日", "i", "I", "\u0131", "\u0130", "-", ".", " ", "{", "}",
    "[a-z]", "[^a-z]", "[éa]", "[\u0131]", "[^i]", "[[]", "[]a]", "[\\w-]", "[a\\-z]",
    "\\w", "\\W", "\\d", "\\s", "\\S", "\\b", "\\B", "^", "$", "\\z", "\\Z", "\\A",
    "\\x49", "\\xe9", "\\x{e9}", "\\n", "\\.", "{,2}", "(?=a)", "(?!a)", "(?<=a)", "\\0",
    "\\e", "{a}", "#", "\\/", "\\x", "\\x4", "[\\s]", "[^\\s]", "[\\x49]", "\\\\", "\\ ",
)  # fmt: skip
_QUANTIFIERS: tuple[str, ...] = ("", "", "", "*", "+", "?", "{2}", "{1,2}", "*?", "+?", "{0,}")
_ANCHORS: frozenset[str] = frozenset({"^", "$", "\\z", "\\Z", "\\A", "\\b", "\\B"})
_SUBJECT_CHARS: tuple[str, ...] = (
    "a", "A", "b", "é", "É", "日", "i", "I", "\u0131", "\u0130", " ", "\n", "-", "1", "_",
    "{", "}", "[", "]", ".",
)  # fmt: skip


def _random_pattern(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        if depth < 2 and rng.random() < 0.15:
            inner = _random_pattern(rng, depth + 1)
            if rng.random() < 0.3:
                inner += "|" + _random_pattern(rng, depth + 1)
            parts.append(rng.choice(("(", "(?:", "(?>", "(?=", "(?!")) + inner + ")")
        else:
            parts.append(rng.choice(_ATOMS))
        if parts[-1] not in _ANCHORS:
            parts[-1] += rng.choice(_QUANTIFIERS)
    return "".join(parts)


def generated_regex_cases(seed: int = 11, patterns: int = 300) -> list[Case]:
    """Random patterns of supported constructs and flags against random non-blank text."""
    rng = random.Random(seed)
    cases = []
    for _ in range(patterns):
        flags = "".join(flag for flag in "imsxu" if rng.random() < 0.35)
        rules = ("string", f"regex:/{_random_pattern(rng)}/{flags}")
        for _ in range(20):
            subject = "".join(rng.choice(_SUBJECT_CHARS) for _ in range(rng.randint(1, 5)))
            if not subject.strip():
                subject += "a"
            cases.append(Case("v", rules, json.dumps({"v": subject}), json.dumps(subject)))
    return cases


def csv_texts() -> list[str]:
    """Every text of up to 5 characters over the characters str_getcsv treats specially,
    and longer random ones with a few ordinary characters mixed in."""
    special = ("a", ",", '"', "\\", " ", "\n", "\r")
    texts = ["".join(p) for n in range(6) for p in itertools.product(special, repeat=n)]
    rng = random.Random(5)
    mixed = (*special, "é", "\t", "\x00", "b")
    texts += ["".join(rng.choice(mixed) for _ in range(rng.randint(6, 16))) for _ in range(3000)]
    return texts


def all_cases() -> list[Case]:
    return value_cases() + path_cases() + status_cases() + regex_cases() + generated_regex_cases()
