"""The input boundary (worker/contract/inputs.py, worker/contract/numbers.py): files, YAML,
JSON, numbers and environment settings become bounded data or one ConfigError line, fast,
whatever the input."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.contract import inputs
from worker.contract.errors import ConfigError
from worker.contract.inputs import load_json, load_yaml, read_text
from worker.contract.numbers import check_number, env_number, parse_number


def yaml_problem(text: str) -> str:
    with pytest.raises(ConfigError) as err:
        load_yaml(text, "cfg")
    assert len(err.value.problems) == 1
    return err.value.problems[0]


def alias_bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("text", "value"), [
    ("0120", "0120"),  # YAML 1.1 read this as octal 80
    ("0x64", "0x64"), ("0o17", "0o17"), ("1_0_0", "1_0_0"), ("1:30", "1:30"),
    ("yes", "yes"), ("on", "on"), ("2024-01-01", "2024-01-01"),
    ("120", 120), ("-3", -3), ("0.5", 0.5), (".5", 0.5), ("1e3", 1000.0), ("true", True), ("~", None),
])
def test_yaml_scalars_follow_the_12_core_schema(text: str, value: Any) -> None:
    assert load_yaml(f"v: {text}\n", "cfg") == {"v": value}


def test_yaml_non_finite_numbers_load_as_floats_for_the_field_to_refuse() -> None:
    loaded = load_yaml("a: .nan\nb: -.inf\nc: 1e999\n", "cfg")
    assert math.isnan(loaded["a"]) and loaded["b"] == -math.inf and loaded["c"] == math.inf
    assert check_number(loaded["a"])[1] == "must be a finite number, got nan"


def test_a_5000_digit_number_stays_text_and_the_validator_names_its_length() -> None:
    loaded = load_yaml("n: " + "7" * 5000 + "\n", "cfg")
    assert isinstance(loaded["n"], str)
    value, problem = check_number(loaded["n"], integer=True)
    assert value is None and problem is not None
    assert "5000 digits (at most 30)" in problem and len(problem) < 200


def test_duplicate_keys_are_an_error_with_the_line() -> None:
    assert yaml_problem("a: 1\nb: 2\na: 3\n") == "cfg: not valid YAML at line 3 column 1: duplicate key 'a'"


def test_an_alias_bomb_is_refused_before_it_is_expanded() -> None:
    # how fast: bench/input_boundary.py (about 2 ms); pytest-timeout catches a hang
    assert "expands to more than 200000 values" in yaml_problem(alias_bomb())


def test_too_many_aliases_are_refused() -> None:
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * (inputs.MAX_ALIASES + 1)) + "]\n"
    assert "more than 100 aliases" in yaml_problem(text)


def test_a_few_aliases_still_share_settings() -> None:
    loaded = load_yaml("common: &c {min: 1, max: 4}\nweb: *c\napi: *c\n", "cfg")
    assert loaded["web"] == loaded["api"] == {"min": 1, "max": 4}


def test_an_alias_that_contains_itself_is_refused() -> None:
    assert "refers to the node that contains it" in yaml_problem("&a [*a]\n")


@pytest.mark.parametrize("text", ["[" * 20_000 + "]" * 20_000, "a:\n" + "".join(
    "  " * i + f"k{i}:\n" for i in range(1, 200))])
def test_deep_nesting_is_refused_without_recursion_error(text: str) -> None:
    assert f"nested deeper than {inputs.MAX_DEPTH} levels" in yaml_problem(text)


@pytest.mark.parametrize("tag", ["!!binary aGk=", "!!timestamp 2001-12-14", "!!set {a: null}",
                                 "!!python/object:os.system x", "!custom 1", "!!int 0x10", "!!float 1_0"])
def test_tags_beyond_plain_data_are_refused(tag: str) -> None:
    assert "cfg: not valid YAML at line 1" in yaml_problem(f"v: {tag}\n")


def test_merge_keys_are_plain_keys_in_yaml_12() -> None:
    assert load_yaml("<<: {a: 1}\n", "cfg") == {"<<": {"a": 1}}


def test_a_mapping_as_a_key_is_refused() -> None:
    assert "a mapping key must be a plain value" in yaml_problem("? [1]\n: b\n")


@pytest.mark.parametrize(("text", "fragment"), [
    ('{"a": NaN}', "NaN is not a number JSON allows"),
    ('{"a": -Infinity}', "-Infinity is not a number JSON allows"),
    ('{"a": 1e999}', "too large for a number"),
    ("[" * 20_000 + "]" * 20_000, "nested deeper than 64 levels"),
    ("[" * 100 + "]" * 100, "nested deeper than 64 levels"),
    ('{"a": ', "not valid JSON"),
])
def test_json_refuses_non_numbers_and_depth(text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_json(text, "--json")
    assert fragment in err.value.problems[0]


def test_json_huge_integers_stay_text_for_the_field_to_refuse() -> None:
    assert load_json('{"a": ' + "9" * 5000 + "}", "x") == {"a": "9" * 5000}


def test_files_are_utf8_text_with_the_bom_dropped(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert read_text(str(path), "config") == "a: 1\n"


@pytest.mark.parametrize(("content", "fragment"), [
    (b"a: 1\x00\x01\x02", "holds NUL bytes"),
    (b"a: \xff\xfe\n", "not UTF-8 text"),
    (b"a" * (inputs.MAX_FILE_BYTES + 1), "larger than the limit of 1024 KiB"),
])
def test_binary_and_oversized_files_are_refused(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as err:
        read_text(str(path), "config")
    assert fragment in err.value.problems[0]


@pytest.mark.parametrize("path", ["/dev/zero", "/tmp", "/no/such/file"])
def test_special_and_missing_paths_are_refused_without_reading(path: str) -> None:
    with pytest.raises(ConfigError, match=r"not a regular file|cannot read the file"):
        read_text(path, "config")


@pytest.mark.parametrize(("text", "value"), [
    ("90", 90), ("-1", -1), ("+2", 2), ("0", 0), ("0.5", 0.5), ("5.", 5.0), (".25", 0.25), ("1e3", 1000.0),
    (" 7 ", 7), ("0120", None), ("0x64", None), ("1_000", None), ("1:30", None), ("nan", None),
    ("inf", None), ("1e999", None), ("", None), ("1" * 31, None), ("١٢", None), ("12abc", None),
])
def test_strict_number_grammar(text: str, value: int | float | None) -> None:
    assert parse_number(text) == value
    assert type(parse_number(text)) is type(value)


@pytest.mark.parametrize(("value", "kwargs", "fragment"), [
    (math.nan, {}, "must be a finite number"),
    (math.inf, {}, "must be a finite number"),
    (True, {}, "must be a number, got True"),
    ("10", {}, "must be a number, got '10'"),
    (1.5, {"integer": True}, "must be a whole number"),
    (10**40, {}, "more than 30 digits"),
    (0, {"minimum": 0, "strict_min": True}, "must be above 0"),
    (-1, {"minimum": 0}, "must be at least 0"),
    (1_000_000_000, {"maximum": 20_000}, "must be at most 20000"),
    ([1] * 10_000, {}, "must be a number, got list"),
])
def test_check_number_refuses_with_a_short_reason(value: Any, kwargs: dict[str, Any], fragment: str) -> None:
    number, problem = check_number(value, **kwargs)
    assert number is None and problem is not None
    assert fragment in problem and len(problem) < 120


@pytest.mark.parametrize(("raw", "fragment"), [
    ("abc", "$SERVO_X: 'abc' is not a number"), ("nan", "is not a finite number"),
    ("-5", "must be at least 1"), ("1.5", "must be a whole number"), ("1" * 40, "has 40 digits"),
])
def test_environment_settings_go_through_the_same_validator(raw: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        env_number("SERVO_X", 10, minimum=1, integer=True, environ={"SERVO_X": raw})
    assert fragment in err.value.problems[0]


def test_environment_settings_default_when_unset_or_empty() -> None:
    assert env_number("SERVO_X", 10, environ={}) == 10
    assert env_number("SERVO_X", 10, environ={"SERVO_X": " "}) == 10
    assert env_number("SERVO_X", 10, environ={"SERVO_X": "60"}) == 60


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_a_strict_number_or_none(text: str) -> None:
    value = parse_number(text)
    assert value is None or (not isinstance(value, bool) and math.isfinite(value))


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-(10**29), max_value=10**29))
def test_every_plain_integer_round_trips(number: int) -> None:
    assert parse_number(str(number)) == number


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=50),
                 st.booleans(), st.none()),
       st.floats(min_value=-1e6, max_value=1e6), st.floats(min_value=-1e6, max_value=1e6), st.booleans())
def test_check_number_returns_only_finite_numbers_within_bounds(value: Any, lo: float, hi: float,
                                                                integer: bool) -> None:
    number, problem = check_number(value, minimum=lo, maximum=hi, integer=integer)
    if problem is None:
        assert number is not None and math.isfinite(number) and lo <= number <= hi
        assert not integer or isinstance(number, int)
    else:
        assert number is None and len(problem) < 200


YAML_ALPHABET = st.sampled_from([*"ab:- []{}&*!\n,'\"#?|>.0123456789eE+~", "  ", ".nan", "0x", "<<"])


@settings(max_examples=400, deadline=None)
@given(st.lists(YAML_ALPHABET, max_size=80).map("".join))
def test_any_yaml_text_loads_or_is_one_config_error(text: str) -> None:
    try:
        load_yaml(text, "cfg")
    except ConfigError as exc:
        assert len(exc.problems) == 1 and len(exc.problems[0]) < 400


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('{}[]",:0123456789.eE-+ aNInfity\\')), max_size=80))
def test_any_json_text_loads_or_is_one_config_error(text: str) -> None:
    try:
        value = load_json(text, "--json")
    except ConfigError as exc:
        assert len(exc.problems) == 1
    else:
        assert "NaN" not in repr(value) and "inf" not in repr(value)
