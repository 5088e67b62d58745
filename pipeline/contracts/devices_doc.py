"""The vendors' reference of every device event, rendered from the contracts (docs/devices.md shows it).

Field tables come from each model's JSON Schema, examples from ``contracts.examples``: the page cannot
disagree with what the pipeline accepts, and a test keeps docs/devices.md equal to this output.
"""

from __future__ import annotations

import json
from typing import Any

from pipeline.contracts.examples import EXAMPLES
from pipeline.contracts.families import FAMILIES, schema_name_of


def _type_of(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in prop:
        prop = defs[prop["$ref"].split("/")[-1]]
    if "anyOf" in prop:
        kinds = [_type_of(p, defs) for p in prop["anyOf"] if p.get("type") != "null"]
        nullable = any(p.get("type") == "null" for p in prop["anyOf"])
        return " or ".join(kinds) + (" or null" if nullable else "")
    if "const" in prop:
        return f"`{json.dumps(prop['const'], ensure_ascii=False)}`"
    if "enum" in prop:
        return ", ".join(f"`{v}`" for v in prop["enum"])
    kind = str(prop.get("type", "any"))
    if prop.get("format"):
        kind += f" ({prop['format']})"
    if "pattern" in prop:
        kind += f", `{prop['pattern']}`"
    bounds = [f"{k} {prop[key]}" for key, k in (("minimum", ">="), ("exclusiveMinimum", ">"),
              ("maximum", "<="), ("exclusiveMaximum", "<"), ("minLength", "length >="),
              ("maxLength", "length <=")) if key in prop]  # fmt: skip
    return kind + (f" ({', '.join(bounds)})" if bounds else "")


def _fields_table(model: Any) -> list[str]:
    schema = model.model_json_schema(by_alias=True)
    defs, required = schema.get("$defs", {}), set(schema.get("required", []))
    rows = ["| field | type | required | meaning |", "|---|---|---|---|"]
    for name, prop in schema["properties"].items():
        meaning = prop.get("description", "")
        if name in model.PERSON_FIELDS:
            meaning = (meaning + " **Person identifier: replaced by a token on arrival.**").strip()
        kind = _type_of(prop, defs).replace("|", "\\|")  # a regex alternation would end the table cell
        rows.append(f"| `{name}` | {kind} | {'yes' if name in required else 'no'} | {meaning} |")
    return rows


def devices_reference() -> str:
    parts: list[str] = []
    for family, contract in FAMILIES.items():
        parts += [f"## {family.value}", "", f"Topic `<prefix>.raw.{family.value}`, key `device_id`.", ""]
        for event_type in contract.event_types:
            name = schema_name_of(event_type)
            doc = (event_type.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
            parts += [f"### `{name}`", "", doc, "", *_fields_table(event_type), ""]
            parts += [
                "Example:",
                "",
                "```json",
                json.dumps(EXAMPLES[name], ensure_ascii=False, indent=2),
                "```",
                "",
            ]
    return "\n".join(parts)
