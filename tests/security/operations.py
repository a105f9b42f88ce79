"""The API's operations as the OpenAPI document lists them.

The security tests take their routes from here, so a route added to the
document is attacked without anyone adding it to a list by hand.
"""

from dataclasses import dataclass
from typing import Any

import falcon

from feeds.api.openapi import build_document

DOCUMENT = build_document()
FEED_ID_PARAMETER = "{feed_id}"


@dataclass(frozen=True)
class DocumentedOperation:
    operation_id: str
    method: str
    path: str
    spec: dict[str, Any]

    @property
    def secured(self) -> bool:
        return bool(self.spec["security"])

    @property
    def body_media_types(self) -> list[str]:
        body = self.spec.get("requestBody")
        return list(body["content"]) if body else []

    @property
    def takes_json_body(self) -> bool:
        return falcon.MEDIA_JSON in self.body_media_types

    @property
    def names_a_feed(self) -> bool:
        """True when the request picks one feed, by path or by body."""
        return FEED_ID_PARAMETER in self.path or "feed_id" in self.body_properties()

    def path_for(self, feed_id: object) -> str:
        return self.path.replace(FEED_ID_PARAMETER, str(feed_id))

    def parameters(self, location: str) -> list[str]:
        return [p["name"] for p in self.spec["parameters"] if p["in"] == location]

    def body_properties(self) -> dict[str, dict[str, Any]]:
        """Return the JSON body's properties, each with its resolved schema."""
        if not self.takes_json_body:
            return {}
        schema = resolve(self.spec["requestBody"]["content"][falcon.MEDIA_JSON])
        return schema.get("properties", {})

    def string_body_fields(self) -> list[str]:
        return [
            name
            for name, schema in self.body_properties().items()
            if accepts_string(schema)
        ]

    def __str__(self) -> str:
        return self.operation_id


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a ``schema`` and its $ref to the component schema."""
    schema = node.get("schema", node)
    ref = schema.get("$ref")
    if ref is None:
        return schema
    name = ref.rsplit("/", 1)[1]
    return DOCUMENT["components"]["schemas"][name]


def accepts_string(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "string":
        return True
    return any(accepts_string(option) for option in schema.get("anyOf", ()))


def documented_operations() -> list[DocumentedOperation]:
    return [
        DocumentedOperation(spec["operationId"], method.upper(), path, spec)
        for path, item in DOCUMENT["paths"].items()
        for method, spec in item.items()
    ]


def secured_operations() -> list[DocumentedOperation]:
    return [operation for operation in documented_operations() if operation.secured]
