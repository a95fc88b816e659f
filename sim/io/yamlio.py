"""Safe YAML reading with line numbers, and input errors that name file, line and field.

Only PyYAML's ``SafeLoader`` is used: tags such as ``!!python/object`` are refused.
Duplicate keys, oversized files and non-UTF-8 text are errors too.  Every problem
becomes a :class:`Problem` (line, field, message); :class:`InputError` carries them
and prints one line per problem, ``file:line: field: message``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 1_000_000
"""Largest input file accepted (a scenario is a few kB)."""

MAX_DEPTH = 20
"""Deepest nesting of mappings and sequences accepted."""

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file."""

    line: int | None
    field: str
    message: str

    def format(self, file: str) -> str:
        where = printable(f"{file}:{self.line}" if self.line else file)
        field_, message = printable(self.field), printable(self.message)
        return f"{where}: {field_}: {message}" if field_ else f"{where}: {message}"


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0)) if c != 0x0A}


def printable(text: str) -> str:
    """``text`` with control characters (a terminal's escape sequences among them) shown
    as ``\\xNN`` instead of sent to the terminal: names and values in messages come from
    the user's file."""
    return text.translate(_CONTROL)


@dataclass
class InputError(Exception):
    """Bad user input; the CLI prints it and exits with status 2."""

    file: str
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def from_problems(cls, file: str, problems: Iterable[Problem]) -> InputError:
        return cls(file, sorted(problems, key=lambda p: (p.line or 0, p.field)))

    @classmethod
    def single(cls, file: str, message: str, line: int | None = None,
               field_name: str = "") -> InputError:
        return cls(file, [Problem(line, field_name, message)])

    def __str__(self) -> str:
        return "\n".join(p.format(self.file) for p in self.problems)


class LineIndex:
    """Line (1-based) of every mapping key and sequence item, by location tuple."""

    def __init__(self) -> None:
        self.lines: dict[Loc, int] = {(): 1}

    def line_for(self, loc: Sequence[str | int]) -> int:
        """Line of the deepest known prefix of ``loc``."""
        loc = tuple(loc)
        while loc not in self.lines:
            loc = loc[:-1]
        return self.lines[loc]

    def field_at(self, line: int) -> str:
        """The deepest field that starts on ``line`` ("" if none)."""
        here = [loc for loc, at in self.lines.items() if at == line and loc]
        return field_name(max(here, key=len)) if here else ""

    def walk(self, node: yaml.Node, loc: Loc, file: str) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise InputError.single(
                        file, f"duplicate key '{key}' (first on line {seen[key]})", line,
                        field_name((*loc, key)))
                seen[key] = line
                self.lines[(*loc, key)] = line
                self.walk(value_node, (*loc, key), file)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.lines[(*loc, i)] = item.start_mark.line + 1
                self.walk(item, (*loc, i), file)


class _BadValue(Exception):
    """A scalar PyYAML resolves (a date, a number) but cannot construct."""

    def __init__(self, mark: yaml.Mark, value: str, reason: str) -> None:
        super().__init__(reason)
        self.mark, self.value, self.reason = mark, value, reason


_SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""PyYAML's safe loader, with libyaml's parser where PyYAML was built with it (ten times
faster on a large file); the constructor, and so what is accepted, is the same."""


class _Loader(_SAFE):  # type: ignore[valid-type, misc]
    """PyYAML's safe loader, with the node of a value that cannot be built kept, so that
    the error names its line."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            if isinstance(node, yaml.ScalarNode):
                raise _BadValue(node.start_mark, str(node.value), str(exc)) from None
            raise


def _refuse_aliases(text: str, file: str) -> None:
    """Anchors and aliases are not needed in a scenario, and aliases can multiply a small
    file into a huge document ("billion laughs"); nesting is capped too."""
    depth = 0
    for event in yaml.parse(text, Loader=_SAFE):
        if isinstance(event, yaml.AliasEvent):
            raise InputError.single(file, "aliases (*name) are not allowed",
                                    event.start_mark.line + 1)
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError.single(file, f"nested more than {MAX_DEPTH} levels deep",
                                        event.start_mark.line + 1)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def field_name(loc: Sequence[str | int]) -> str:
    """``('events', 2, 'when', 'value')`` → ``events[2].when.value``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def read_text(path: str | Path, max_bytes: int = MAX_BYTES) -> str:
    """File contents as text, or ``InputError`` for a missing, huge or non-UTF-8 file."""
    file = str(path)
    p = Path(path)
    if not p.is_file():
        raise InputError.single(file, "no such file")
    size = p.stat().st_size
    if size > max_bytes:
        raise InputError.single(file, f"file is {size:,} bytes; the limit is {max_bytes:,}")
    try:
        return p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError.single(file, f"not UTF-8 text (byte {exc.start})") from None


def load_yaml(path: str | Path, max_bytes: int = MAX_BYTES) -> tuple[Any, LineIndex]:
    """Parse one YAML document safely; return the data and its line index."""
    file = str(path)
    text = read_text(path, max_bytes)
    index = LineIndex()
    loader = None
    try:
        loader = _Loader(text)  # its reader refuses control characters (NUL, ESC ...)
        _refuse_aliases(text, file)
        node = loader.get_single_node()
        if node is None:
            raise InputError.single(file, "file is empty")
        index.walk(node, (), file)
        data = loader.construct_document(node)
    except _BadValue as exc:  # e.g. a date like 2025-02-30: its line and field
        line = exc.mark.line + 1
        raise InputError.single(file, f"invalid value {exc.value!r}: {exc.reason}", line,
                                index.field_at(line)) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        char = chr(exc.character) if isinstance(exc.character, int) else exc.character
        raise InputError.single(file, f"character {char!r} is not allowed "
                                "(control characters other than tab and newline)",
                                line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or "invalid YAML"
        if isinstance(exc, yaml.constructor.ConstructorError) and "tag" in what:
            what = f"tag not allowed: {what.split('tag', 1)[1].strip()} (only plain YAML)"
        raise InputError.single(file, f"YAML syntax: {what}", line) from None
    except yaml.YAMLError as exc:
        raise InputError.single(file, f"YAML syntax: {exc}") from None
    except RecursionError:
        raise InputError.single(file, f"nested more than {MAX_DEPTH} levels deep") from None
    except (ValueError, OverflowError) as exc:
        raise InputError.single(file, f"invalid value: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(data, dict):
        raise InputError.single(file, "the top level must be a mapping of keys to values", 1)
    return data, index


_PREFIXED = re.compile(r"^(?:Value error, )?([\w.\[\]-]+): (.*)$", re.S)


def validation_error(path: str | Path, exc: Any, index: LineIndex) -> InputError:
    """Turn a pydantic ``ValidationError`` into an ``InputError`` with lines and fields."""
    problems = []
    by_name = {field_name(loc): loc for loc in index.lines}
    for err in exc.errors(include_url=False):
        loc: Loc = tuple(part for part in err["loc"] if not _is_union_tag(part))
        msg = err["msg"]
        kind = err["type"]
        match = _PREFIXED.match(msg)
        if match and kind == "value_error" and not loc:
            # whole-model validators prefix their message with the field they mean
            prefix = match[1]
            loc = by_name.get(prefix, ())
            msg = match[2] if loc or prefix in by_name else msg.removeprefix("Value error, ")
            if not loc:  # e.g. a missing key: the line of its nearest present parent
                problems.append(Problem(_line_of_name(prefix, by_name, index), prefix,
                                        match[2]))
                continue
        elif kind == "extra_forbidden":
            msg = "unknown key"
        elif kind == "missing":
            msg = "required field is missing"
        else:
            msg = msg.removeprefix("Value error, ")
            if kind not in ("value_error", "assertion_error") and _shows(err.get("input")):
                msg += f" (got {err['input']!r})"
        problems.append(Problem(index.line_for(loc), field_name(loc), msg))
    return InputError.from_problems(str(path), problems)


def _line_of_name(name: str, by_name: dict[str, Loc], index: LineIndex) -> int:
    """Line of the field ``name`` (``a.b[2].c``) or of its nearest named parent."""
    while name and name not in by_name:
        name = _LAST_PART.sub("", name)
    return index.line_for(by_name.get(name, ()))


_LAST_PART = re.compile(r"(\.[^.\[\]]*|\[\d+\]|^[^.\[\]]*)$")


def _is_union_tag(part: str | int) -> bool:
    return isinstance(part, str) and (part.startswith(("function-", "literal[")) or
                                      part in ("str", "int", "float", "bool"))


def _shows(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and len(repr(value)) < 60
