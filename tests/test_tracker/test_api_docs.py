"""The server-rendered API docs (tracker.api_docs): OpenAPI schemas in words, pure."""

from __future__ import annotations

import pytest

from tracker.api_docs import describe, type_text


@pytest.mark.parametrize(("schema", "text"), [
    ({"$ref": "#/components/schemas/LeaderboardRow"}, "LeaderboardRow"),
    ({"type": "array", "items": {"$ref": "#/components/schemas/Run"}}, "array of Run"),
    ({"type": "string", "nullable": True}, "string or null"),
    ({"type": "string", "format": "date-time"}, "string (date-time)"),
    ({"type": "string", "enum": ["yes", "no", ""]}, "string: one of yes, no"),
    ({"allOf": [{"$ref": "#/components/schemas/Agreement"}], "nullable": True},
     "Agreement or null"),
    ({"oneOf": [{"type": "integer"}, {"type": "string"}]}, "integer or string"),
    ({}, "any"),
])
def test_type_text(schema, text):
    assert type_text(schema) == text


def test_describe_lists_operations_parameters_responses_and_components():
    schema = {
        "info": {"title": "T", "version": "1"},
        "paths": {"/api/x/{slug}/": {"get": {
            "operationId": "x_retrieve", "description": "One x.",
            "parameters": [{"name": "slug", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/X"}}}}},
        }}},
        "components": {"schemas": {"X": {
            "type": "object", "required": ["a"],
            "properties": {"a": {"type": "integer"},
                           "b": {"type": "array", "items": {"$ref": "#/components/schemas/Y"}}},
        }}},
    }
    info, operations, components = describe(schema)
    assert info["title"] == "T"
    (op,) = operations
    assert (op.method, op.path, op.anchor, op.summary) == ("get", "/api/x/{slug}/", "x_retrieve",
                                                           "One x.")
    assert op.parameters == [{"name": "slug", "in": "path", "required": True, "type": "string",
                              "description": ""}]
    assert op.responses == [("200", "X", "X")]
    (x,) = components
    assert [(f["name"], f["type"], f["ref"], f["required"]) for f in x.fields] == [
        ("a", "integer", "", True), ("b", "array of Y", "Y", False)]
