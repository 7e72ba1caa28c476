"""PHP patterns as preg_match reads them (the Laravel differential test checks thousands
more against PHP itself; these name the behaviours)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from irp.template.pcre import compile_php_pattern


def matches(pattern: str, subject: str) -> bool | None:
    return compile_php_pattern(pattern).search(subject)


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        ("/^\\w+$/", "été", False),  # no u: \w is ASCII, é is two bytes
        ("/^\\w+$/u", "été", True),
        ("/^.{3}$/", "été", False),  # five bytes
        ("/^.{5}$/", "été", True),
        ("/^.{3}$/u", "été", True),
        ("/^é$/i", "É", False),  # no u: case folding is ASCII only
        ("/^é$/iu", "É", True),
        ("/^[é]$/", "é", False),  # a class of the bytes C3 and A9: one byte each
        ("/^[é]{2}$/", "é", True),
        ("/^\\d$/", "٣", False),
        ("/^\\d$/u", "٣", True),
        ("/^\\s$/", "\u00a0", False),
        ("/^\\s$/u", "\u00a0", True),
        ("/^\\s$/u", "\u0085", True),  # PCRE's Unicode \s has NEL, Python's str \s too
        ("/^\\s$/u", "\u001c", False),  # ... but not U+001C-001F, which Python's has
        ("/^\\s$/u", "\u180e", True),
    ],
)
def test_without_u_bytes_are_matched_with_u_characters(
    pattern: str, subject: str, expected: bool
) -> None:
    assert matches(pattern, subject) is expected


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        ("/^i$/iu", "I", True),
        ("/^i$/iu", "\u0131", False),  # PCRE pairs i with I only
        ("/^I$/iu", "\u0130", False),
        ("/^\u0131$/iu", "I", False),
        ("/^[a-z]$/iu", "\u0131", False),
        ("/^[a-z]$/iu", "K", True),
        ("/^[^a-z]$/iu", "\u0131", True),
        ("/^\\x49$/iu", "\u0131", False),
        ("/^k$/iu", "\u212a", True),  # KELVIN SIGN folds to k in both engines
    ],
)
def test_with_i_and_u_the_turkish_i_folds_as_in_pcre(
    pattern: str, subject: str, expected: bool
) -> None:
    assert matches(pattern, subject) is expected


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        ("/b$/", "ab\n", True),  # $ allows one final newline
        ("/b\\z/", "ab\n", False),
        ("/b\\Z/", "ab\n", True),
        ("/^$/m", "a\n", False),  # PCRE's ^ does not match after a final newline
        ("/^b$/m", "a\nb\n", True),
        ("/^a{,2}$/", "a{,2}", True),  # {,2} is literal text for PCRE 10.42
        ("/^a{,2}$/", "aa", False),
        ("/a b/x", "ab", True),
        ("/a{1,3} ?/x", "aaa", True),  # with x, PCRE joins a quantifier and its ?
        ("/^a\\e$/", "a\x1b", True),
        ("/^\\x41\\0$/", "A\x00", True),
        ("/^\\x{e9}$/u", "é", True),
        ("/[[]/", "[", True),
        ("/[a&&b]/", "&", True),
        ("/(?<n>a)(?P=n)/", "aa", True),
        ("#^[0-9]+$#", "123", True),
        ("{^a{2}$}", "aa", True),
        ("(^a(b)$)", "ab", True),
        ("  /^a$/", "a", True),
        ("/^a$/ i", "A", True),  # PHP skips spaces between the flags
        ("/a\\/b/", "a/b", True),
    ],
)
def test_pcre_readings_python_would_get_wrong_are_rewritten(
    pattern: str, subject: str, expected: bool
) -> None:
    assert matches(pattern, subject) is expected


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("abc", "the pattern must be delimited as in Laravel (/^[0-9]+$/), not 'abc': the "
         "delimiter is an ASCII punctuation character such as / # ~"),
        ("", "the pattern is empty; write it delimited, e.g. /^[0-9]+$/"),
        ("/abc", "the pattern '/abc' has no closing delimiter '/'"),
        ("/a/b/i", "unsupported pattern flag 'b' in '/a/b/i' (IRP reproduces i, m, s, x and u; "
         "regex: must be the last rule of its key)"),
        ("/a/D", "unsupported pattern flag 'D' in '/a/D' (IRP reproduces i, m, s, x and u; "
         "regex: must be the last rule of its key)"),
        ("/\\p{Lu}/u", "Unicode properties (\\p{...}) cannot be reproduced exactly; rewrite it "
         "(at column 1 of the pattern)"),
        ("/a\\Kb/", "match reset (\\K) cannot be reproduced exactly; rewrite it (at column 2 of "
         "the pattern)"),
        ("/[[:alpha:]]/", "POSIX classes such as [[:alpha:]] cannot be reproduced (at column 2 "
         "of the pattern)"),
        ("/[+--]/", "'--' inside [...] reads differently in Python; write \\- (at column 3 of "
         "the pattern)"),
        ("/(?|a)/", "this (? group cannot be reproduced (IRP knows (?:, (?=, (?!, (?<=, (?<!, "
         "(?>, (?P<name>, (?<name>, (?#...) and the inline flags i and s) (at column 1 of the "
         "pattern)"),
        ("/(?i)a/u", "with the u flag, give i after the closing delimiter, not inline (at "
         "column 1 of the pattern)"),
        ("/(a)\\1/iu", "a back-reference with the flags i and u cannot be reproduced (at column "
         "4 of the pattern)"),
        ("/(a)\\12/", "a back-reference of more than one digit is ambiguous in PCRE (at column "
         "4 of the pattern)"),
        ("/\\Z*/", "nothing to repeat: an anchor cannot take a quantifier (at column 3 of the "
         "pattern)"),
        ("/a{70000}/", "a repeat count above 65535 is refused by PCRE (at column 2 of the "
         "pattern)"),
        ("/\\x{100}/", "character 0x100 is more than a byte; add the u flag (at column 1 of "
         "the pattern)"),
        ("/\\y/", "'\\y' is not an escape PCRE and Python read alike (at column 1 of the "
         "pattern)"),
        ("/(/", "the pattern '/(/' is not a valid regular expression: missing ), unterminated "
         "subpattern"),
        ("/a\0/", "a pattern cannot contain a NUL character; write \\x00"),
        ("é/a/é", "the pattern must be delimited as in Laravel (/^[0-9]+$/), not 'é/a/é': the "
         "delimiter is an ASCII punctuation character such as / # ~"),
    ],
)  # fmt: skip
def test_what_cannot_be_reproduced_is_refused_with_the_reason(pattern: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        compile_php_pattern(pattern)
    assert str(caught.value) == message


def test_text_that_is_not_unicode_cannot_be_matched() -> None:
    assert matches("/a/", "a\ud800") is None


@settings(max_examples=500)
@given(st.text(max_size=12), st.text(max_size=8))
def test_any_pattern_compiles_or_raises_value_error_and_then_never_raises(
    pattern: str, subject: str
) -> None:
    for candidate in (pattern, f"/{pattern}/", f"/{pattern}/iu", f"/{pattern}/mx"):
        try:
            compiled = compile_php_pattern(candidate)
        except ValueError:
            continue
        assert compiled.search(subject) in (True, False, None)


@pytest.mark.timeout(60)
def test_searches_from_several_threads_each_get_their_own_answer_beside_a_stuck_one() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from irp.template.bounded_match import MatchLimitError

    hostile = compile_php_pattern("/^(a+)+$/")
    digits = compile_php_pattern("/^[0-9]+$/")
    subjects = [str(n) if n % 2 else f"x{n}" for n in range(200)]

    def stuck() -> str:
        try:
            hostile.search("a" * 40 + "b")
        except MatchLimitError as exc:
            return str(exc)
        return "answered"

    with ThreadPoolExecutor(4) as pool:
        limited = pool.submit(stuck)
        answers = list(pool.map(digits.search, subjects))

    assert limited.result() == "the search took longer than 1 s"
    assert answers == [n % 2 == 1 for n in range(200)]
