"""A small XSD checker for JUnit: reads the XSD itself (no lxml) and enforces its rules."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

XS = "{http://www.w3.org/2001/XMLSchema}"


@dataclass(frozen=True)
class Rule:
    children: frozenset[str]
    attributes: dict[str, str]  # name -> type
    required: frozenset[str]
    text: bool


@dataclass(frozen=True)
class Schema:
    rules: dict[str, Rule]
    patterns: dict[str, list[str]]  # simple type -> patterns

    def errors(self, root: ET.Element) -> list[str]:
        found: list[str] = []
        self._check(root, "/" + root.tag, found)
        return found

    def _check(self, element: ET.Element, where: str, found: list[str]) -> None:
        rule = self.rules.get(element.tag)
        if rule is None:
            found.append(f"{where}: element not declared")
            return
        for name, value in element.attrib.items():
            kind = rule.attributes.get(name)
            if kind is None:
                found.append(f"{where}: attribute {name!r} not declared")
            elif kind in self.patterns and not any(
                re.fullmatch(p, value) for p in self.patterns[kind]
            ):
                found.append(f"{where}: {name}={value!r} does not match {kind}")
        for name in rule.required - set(element.attrib):
            found.append(f"{where}: required attribute {name!r} missing")
        if (element.text or "").strip() and not rule.text:
            found.append(f"{where}: text not allowed")
        for child in element:
            if child.tag not in rule.children:
                found.append(f"{where}: child <{child.tag}> not allowed")
            if (child.tail or "").strip() and not rule.text:
                found.append(f"{where}: text not allowed")
            self._check(child, f"{where}/{child.tag}", found)


def load(path: Path) -> Schema:
    root = ET.parse(path).getroot()
    patterns = {
        st.get("name", ""): [p.get("value", "") for p in st.iter(f"{XS}pattern")]
        for st in root.findall(f"{XS}simpleType")
    }
    named = {ct.get("name", ""): ct for ct in root.findall(f"{XS}complexType")}
    rules: dict[str, Rule] = {}
    for element in root.findall(f"{XS}element"):
        inline = element.find(f"{XS}complexType")
        complex_type = inline if inline is not None else named.get(element.get("type", ""))
        if complex_type is None:  # a simple type such as xs:string: text only
            rules[element.get("name", "")] = Rule(frozenset(), {}, frozenset(), True)
            continue
        attributes = complex_type.findall(f"{XS}attribute")
        rules[element.get("name", "")] = Rule(
            children=frozenset(
                c.get("ref") or c.get("name", "") for c in complex_type.iter(f"{XS}element")
            ),
            attributes={a.get("name", ""): a.get("type", "") for a in attributes},
            required=frozenset(a.get("name", "") for a in attributes if a.get("use") == "required"),
            text=complex_type.get("mixed") == "true",
        )
    return Schema(rules, patterns)
