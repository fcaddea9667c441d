"""Safe YAML loading that keeps the line and column of every key and value, with bounded aliases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import yaml

from gate_runner.errors import Diagnostic

PathKey = tuple[str | int, ...]
Pos = tuple[int, int]

# A legitimate policy repeats a few hundred values through aliases; a "billion laughs"
# needs billions. Only repeats count: a big plain file is bounded by its size (1 MiB).
MAX_ALIASED = 20_000
MAX_DEPTH = 64

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALARS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_MERGE = "tag:yaml.org,2002:merge"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


@dataclass
class Document:
    """One parsed file: plain data plus where every value (and mapping key) was written."""

    file: str
    data: Any
    values: dict[PathKey, Pos] = field(default_factory=dict)
    keys: dict[PathKey, Pos] = field(default_factory=dict)
    # Values that came from ${VAR} expansion: never echoed in messages, they may be secrets.
    expanded: set[PathKey] = field(default_factory=set)

    def pos(self, path: PathKey, *, key: bool = False) -> Pos:
        """Position of a value (or of its key), falling back to the closest enclosing one."""
        probe = path
        while True:
            if key and probe in self.keys:
                return self.keys[probe]
            if probe in self.values:
                return self.values[probe]
            if not probe:
                return (1, 1)
            probe = probe[:-1]

    def diag(self, path: PathKey, message: str, *, key: bool = False) -> Diagnostic:
        line, col = self.pos(path, key=key)
        return Diagnostic(self.file, line, col, message)


class YamlProblem(Exception):
    """The text is not a policy document we accept; carries its diagnostic."""

    def __init__(self, line: int, col: int, message: str) -> None:
        super().__init__(message)
        self.line, self.col, self.message = line, col, message


def where(path: PathKey) -> str:
    """A path as messages show it: ``gate.timeout``, ``extends[0]``, or "the policy"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the policy"


def _mark(node: yaml.Node) -> Pos:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.count = 0
        self.built: set[int] = set()
        self.active: set[int] = set()
        self.constructor = yaml.constructor.SafeConstructor()

    def expanded(self, node: yaml.Node, size: int = 1) -> None:
        """Count values an alias or merge key repeats; a plain file of any size counts none."""
        self.count += size
        if self.count > MAX_ALIASED:
            line, col = _mark(node)
            message = f"aliases expand to more than {MAX_ALIASED} values; refusing to load"
            raise YamlProblem(line, col, message)

    def build(self, node: yaml.Node, path: PathKey, depth: int) -> Any:
        # compose() gives an alias the very node of its anchor: a node seen before is a copy.
        if id(node) in self.built:
            self.expanded(node)
        self.built.add(id(node))
        if depth > MAX_DEPTH or id(node) in self.active:
            line, col = _mark(node)
            raise YamlProblem(line, col, "recursive alias or nesting deeper than 64 levels")
        self.doc.values[path] = _mark(node)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if node.tag not in (_SEQ, _MAP):
            line, col = _mark(node)
            raise YamlProblem(line, col, f"unsupported YAML tag {node.tag}")
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [
                    self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)
                ]
            return self._mapping(node, path, depth)
        finally:
            self.active.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag not in _SCALARS:
            line, col = _mark(node)
            raise YamlProblem(line, col, f"unsupported YAML tag {node.tag}")
        try:
            value = self.constructor.construct_object(node)
        except (ValueError, yaml.constructor.ConstructorError):
            if node.tag == "tag:yaml.org,2002:timestamp":
                return node.value  # "2026-02-30": the semantic checks say it is not a real date
            line, col = _mark(node)
            raise YamlProblem(line, col, f"invalid value {node.value!r} for {node.tag}") from None
        if isinstance(value, dt.datetime):
            return value.isoformat()
        # Unquoted dates load as dates; the schema (like other validators) sees them as strings.
        if isinstance(value, dt.date):
            return value.isoformat()
        return value

    def _pairs(self, node: yaml.MappingNode, depth: int) -> list[tuple[yaml.Node, yaml.Node]]:
        # `a: &a {<<: *a}` merges itself, and merge chains fan out: bound both like aliases.
        line, col = _mark(node)
        if depth > MAX_DEPTH:
            raise YamlProblem(line, col, "recursive merge key or merges nested too deeply")
        explicit: list[tuple[yaml.Node, yaml.Node]] = []
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        for key, value in node.value:
            if key.tag != _MERGE:
                explicit.append((key, value))
                continue
            sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    line, col = _mark(source)
                    raise YamlProblem(line, col, "a merge key '<<' needs a mapping")
                self.expanded(source, len(source.value))
                merged.extend(self._pairs(source, depth + 1))
        return merged + explicit

    def _mapping(self, node: yaml.Node, path: PathKey, depth: int) -> dict[str, Any]:
        assert isinstance(node, yaml.MappingNode)
        result: dict[str, Any] = {}
        explicit_seen: dict[str, Pos] = {}
        pairs = self._pairs(node, depth)
        n_merged = len(pairs) - sum(1 for k, _ in node.value if k.tag != _MERGE)
        for index, (key_node, value_node) in enumerate(pairs):
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALARS:
                line, col = _mark(key_node)
                raise YamlProblem(line, col, "mapping keys must be plain strings")
            key = str(self._scalar(key_node))
            if index >= n_merged:
                if key in explicit_seen:
                    line, col = _mark(key_node)
                    first = explicit_seen[key][0]
                    raise YamlProblem(
                        line, col, f"duplicate key '{key}' (first set on line {first})"
                    )
                explicit_seen[key] = _mark(key_node)
            child = (*path, key)
            self.doc.keys[child] = _mark(key_node)
            result[key] = self.build(value_node, child, depth + 1)
        return result


def load_document(text: str, file: str) -> Document:
    """Parse one YAML document; raise YamlProblem with a position for anything we refuse."""
    doc = Document(file=file, data=None)
    try:
        # compose() keeps aliases as shared nodes, so parsing itself stays small.
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlProblem(line, col, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.reader.ReaderError as exc:
        # A NUL or other control character: its message has a second line, and no mark.
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - text.rfind("\n", 0, exc.position)
        raise YamlProblem(line, col, f"invalid YAML: {str(exc).splitlines()[0]}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, 1, f"invalid YAML: {exc}") from None
    if root is None:
        raise YamlProblem(1, 1, "the file is empty; a policy starts with 'version: 1'")
    doc.data = _Builder(doc).build(root, (), 0)
    return doc
