"""The input boundary for files, YAML and JSON: they become plain, bounded data here, or
a ConfigError naming what is wrong. Numbers are checked by worker/contract/numbers.py, strings
by worker/contract/safetext.py.

- Files are read as UTF-8 text (a byte-order mark is dropped), at most `MAX_FILE_BYTES`,
  and a file holding NUL bytes or invalid UTF-8 is refused as binary.
- YAML follows the 1.2 core schema: `0120` is not octal, `0x64`, `1_0_0` and `1:30` are
  strings, not numbers; there are no timestamps, sets, binaries or merge keys. A key twice
  in one mapping is an error. Nesting deeper than `MAX_DEPTH`, more than `MAX_ALIASES`
  aliases, or a document that expands to more than `MAX_NODES` nodes is refused, so an
  alias bomb costs milliseconds, not minutes. A number of more than `MAX_DIGITS` digits
  stays text, for its field to refuse by name.
- JSON refuses `NaN`, `Infinity` and numbers that overflow to them.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import sys
from collections.abc import Callable, Mapping
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from worker.contract.errors import ConfigError
from worker.contract.numbers import INTEGER, MAX_DIGITS, NON_FINITE, NUMBER, digits
from worker.contract.safetext import short

MAX_FILE_BYTES = 1024 * 1024  # a config or sweep file; a 10,000-step sweep is ~230 KB
MAX_DEPTH = 64  # the config nests 6 levels; CloudWatch queries a few more
MAX_ALIASES = 100  # enough to share settings between components, too few to build a bomb
MAX_NODES = 200_000  # the whole document with every alias expanded


# -- files --------------------------------------------------------------------------------
def read_text(path: str, what: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The text of the file at `path` (`-` is stdin), or ConfigError naming `what`."""
    if path == "-":
        stream = getattr(sys.stdin, "buffer", None)  # a replaced stdin may be text only
        data = stream.read(max_bytes + 1) if stream is not None else sys.stdin.read(max_bytes + 1).encode()
        return decode(data, what, max_bytes)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError([f"{what}: not a regular file"])
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise ConfigError([f"{what}: cannot read the file ({exc.strerror})"]) from None
    return decode(data, what, max_bytes)


def decode(data: bytes, what: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    if len(data) > max_bytes:
        raise ConfigError([f"{what}: larger than the limit of {max_bytes // 1024} KiB"])
    if b"\x00" in data:
        raise ConfigError([f"{what}: holds NUL bytes; a binary file is not a {what}"])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{what}: not UTF-8 text (byte {exc.start}); save it as UTF-8"]) from None
    return text.removeprefix("\ufeff")


# -- YAML ---------------------------------------------------------------------------------
class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core scalars, duplicate keys refused and bounded size."""

    # Fresh tables, filled by _add_core_schema: none of SafeLoader's YAML 1.1 rules carry over.
    yaml_implicit_resolvers = {}  # noqa: RUF012
    yaml_constructors = {}  # noqa: RUF012

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise yaml.composer.ComposerError(None, None, f"more than {MAX_ALIASES} aliases (*name)",
                                                  self._next_mark())
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels",
                                                  self._next_mark())
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def _next_mark(self) -> Any:
        """Where the next event starts, for the error (PyYAML leaves peek_event unannotated)."""
        peek: Callable[[], Any] = self.peek_event
        return peek().start_mark

    def get_single_node(self) -> Node | None:
        node = super().get_single_node()
        if node is not None:
            _expanded_size(node, {}, set())
        return node

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, MappingNode):
            raise ConstructorError(None, None, "expected a mapping", node.start_mark)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise ConstructorError(None, None, "a mapping key must be a plain value",
                                       key_node.start_mark)
            if key in out:
                raise ConstructorError(None, None, f"duplicate key {short(key)}", key_node.start_mark)
            out[key] = self.construct_object(value_node, deep=deep)
        return out

    def construct_strict_int(self, node: ScalarNode) -> int | str:
        text = str(self.construct_scalar(node))
        if not INTEGER.match(text):
            raise ConstructorError(None, None, f"{short(text)} is not a decimal whole number",
                                   node.start_mark)
        return int(text) if digits(text) <= MAX_DIGITS else text  # the field says it is too long

    def construct_strict_float(self, node: ScalarNode) -> float | str:
        text = str(self.construct_scalar(node))
        if NON_FINITE.match(text):
            return math.nan if "nan" in text.lower() else (-math.inf if text.startswith("-") else math.inf)
        if not NUMBER.match(text):
            raise ConstructorError(None, None, f"{short(text)} is not a decimal number", node.start_mark)
        return float(text) if digits(text) <= MAX_DIGITS else text

    def construct_refused(self, node: Node) -> None:
        raise ConstructorError(None, None, f"the tag {short(node.tag)} is not accepted here "
                                           "(plain strings, numbers, booleans, lists and mappings only)",
                               node.start_mark)


def _expanded_size(node: Node, sizes: dict[int, int], open_nodes: set[int]) -> int:
    """Nodes in the document with every alias expanded; refuse past MAX_NODES or a cycle."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_nodes:
        raise yaml.composer.ComposerError(None, None, "an alias refers to the node that contains it",
                                          node.start_mark)
    open_nodes.add(key)
    total = 1
    if isinstance(node, SequenceNode):
        total += sum(_expanded_size(child, sizes, open_nodes) for child in node.value)
    elif isinstance(node, MappingNode):
        total += sum(_expanded_size(k, sizes, open_nodes) + _expanded_size(v, sizes, open_nodes)
                     for k, v in node.value)
    open_nodes.discard(key)
    if total > MAX_NODES:
        raise yaml.composer.ComposerError(None, None, f"expands to more than {MAX_NODES} values "
                                                      "(aliases repeat what they point to)", node.start_mark)
    sizes[key] = total
    return total


def _add_core_schema() -> None:
    add = _Loader.add_implicit_resolver
    add("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
    add("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    add("tag:yaml.org,2002:int", INTEGER, list("-+0123456789"))
    add("tag:yaml.org,2002:float", NUMBER, list("-+.0123456789"))
    add("tag:yaml.org,2002:float", NON_FINITE, list("-+."))
    for tag in ("null", "bool", "str", "seq", "map"):
        full = f"tag:yaml.org,2002:{tag}"
        _Loader.add_constructor(full, SafeConstructor.yaml_constructors[full])
    _Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_strict_int)
    _Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_strict_float)
    _Loader.add_constructor(None, _Loader.construct_refused)


_add_core_schema()


def load_yaml(text: str, what: str) -> Any:
    """Parse one YAML document with the rules above, or raise ConfigError naming `what`
    and the line."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506  # _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "syntax error"
        raise ConfigError([f"{what}: not valid YAML{where}: {problem}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{what}: not valid YAML ({str(exc)[:120]})".replace("\n", " ")]) from None
    except ValueError as exc:  # PyYAML's scanner: "\U01200001" escapes past chr()'s range
        raise ConfigError([f"{what}: not valid YAML ({str(exc)[:120]})"]) from None


# -- JSON ---------------------------------------------------------------------------------
def load_json(text: str, what: str) -> Any:
    """Parse JSON without NaN or Infinity, bounded in depth like YAML."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float,
                           parse_int=_bounded_int)
    except RecursionError:
        raise ConfigError([f"{what}: nested deeper than {MAX_DEPTH} levels"]) from None
    except ValueError as exc:
        raise ConfigError([f"{what}: not valid JSON ({str(exc)[:120]})"]) from None
    if _depth(value) > MAX_DEPTH:
        raise ConfigError([f"{what}: nested deeper than {MAX_DEPTH} levels"])
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float | str:
    if digits(text) > MAX_DIGITS:
        return text
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{short(text)} is too large for a number")
    return value


def _bounded_int(text: str) -> int | str:
    return int(text) if digits(text) <= MAX_DIGITS else text


def _depth(value: Any) -> int:
    """How deeply `value` nests lists and mappings, without recursion."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        children = item.values() if isinstance(item, Mapping) else item if isinstance(item, list) else ()
        todo.extend((child, level + 1) for child in children)
    return deepest
