"""The API documentation, rendered on the server from the OpenAPI schema that /api/schema/
serves: no viewer loaded from a CDN, no JavaScript, so it works offline and under a strict
Content-Security-Policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

METHODS = ("get", "post", "put", "patch", "delete")


def type_text(schema: dict[str, Any]) -> str:
    """A schema as a reader says it: 'array of LeaderboardRow', 'string or null'."""
    if not schema:
        return "any"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        text = type_text(schema["allOf"][0])
    elif "oneOf" in schema or "anyOf" in schema:
        text = " or ".join(type_text(s) for s in schema.get("oneOf") or schema.get("anyOf") or ())
    elif schema.get("type") == "array":
        text = f"array of {type_text(schema.get('items') or {})}"
    else:
        text = schema.get("type", "any")
        if schema.get("format"):
            text += f" ({schema['format']})"
        if schema.get("enum"):
            text += ": one of " + ", ".join(str(v) for v in schema["enum"] if v not in ("", None))
    if schema.get("nullable"):
        text += " or null"
    return text


@dataclass
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    parameters: list[dict[str, Any]] = field(default_factory=list)
    responses: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class Component:
    name: str
    description: str
    fields: list[dict[str, Any]]


def _ref_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    for key in ("items", "allOf"):
        inner = schema.get(key)
        if isinstance(inner, dict):
            return _ref_name(inner)
        if isinstance(inner, list) and len(inner) == 1:
            return _ref_name(inner[0])
    return ""


def describe(schema: dict[str, Any]) -> tuple[dict[str, Any], list[Operation], list[Component]]:
    """Pure: the OpenAPI document as the page's operations and components."""
    operations = []
    for path, ops in sorted(schema.get("paths", {}).items()):
        for method in METHODS:
            op = ops.get(method)
            if op is None:
                continue
            responses = []
            for status, response in sorted(op.get("responses", {}).items()):
                body = (response.get("content") or {}).get("application/json", {})
                inner = body.get("schema", {})
                responses.append((status, type_text(inner) if inner else "no body",
                                  _ref_name(inner)))
            operations.append(Operation(
                method=method, path=path, anchor=op.get("operationId") or f"{method}-{path}",
                summary=op.get("description") or op.get("summary") or "",
                parameters=[{"name": p["name"], "in": p.get("in", ""),
                             "required": p.get("required", False),
                             "type": type_text(p.get("schema") or {}),
                             "description": p.get("description", "")}
                            for p in op.get("parameters", [])],
                responses=responses,
            ))
    components = []
    for name, body in sorted(schema.get("components", {}).get("schemas", {}).items()):
        required = set(body.get("required", []))
        components.append(Component(name, body.get("description", ""), [
            {"name": key, "type": type_text(prop), "ref": _ref_name(prop),
             "required": key in required, "read_only": prop.get("readOnly", False),
             "description": prop.get("description", "")}
            for key, prop in body.get("properties", {}).items()
        ]))
    return schema.get("info", {}), operations, components


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    # The URL conf does not change while the process runs: generate once.
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def api_docs(request: HttpRequest) -> HttpResponse:
    info, operations, components = describe(_schema())
    return render(request, "tracker/api_docs.html", {
        "info": info, "operations": operations, "components": components,
    })
