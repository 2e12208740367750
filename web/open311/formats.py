"""GeoReport v2's two formats: XML (the spec's required one) and JSON, from the same documents.

A resource's address ends in ``.xml`` or ``.json`` and its answer, errors included, comes in
that format. The XML follows the spec's examples: the declaration with ``encoding="UTF-8"``, the
same root and element names (``services``/``service``, ``service_definition``,
``service_requests``/``request``, ``errors``/``error``, ``discovery``), an empty element for a
missing value, ``true``/``false``, and a list as repeated elements under its plural name
(``attributes``/``attribute``, ``endpoints``/``endpoint``, ``formats``/``format``).
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from flask import Response, request

FORMATS = ("xml", "json")
CONTENT_TYPES = {
    "xml": "text/xml; charset=utf-8",
    "json": "application/json; charset=utf-8",
}
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# A list's elements are named by its singular (the spec's examples).
_SINGULAR = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def format_of_path(path: str) -> str:
    """``xml`` for an address ending in ``.xml``, else ``json``."""
    return "xml" if path.endswith(".xml") else "json"


def requested_format() -> str:
    """The format the current request's address asks for."""
    return format_of_path(request.path)


def document_response(
    document: Any, root: str, fmt: str | None = None, status: int = 200
) -> Response:
    """``document`` (a list under ``root``, or a mapping that is ``root``) in ``fmt``."""
    fmt = fmt or requested_format()
    if fmt == "xml":
        body = DECLARATION + tostring(to_element(root, document), encoding="unicode")
    else:
        # UTF-8 as the spec asks, Chinese left readable (not \uXXXX).
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, content_type=CONTENT_TYPES[fmt])


def to_element(name: str, value: Any) -> Element:
    """One value as an element named ``name``, children for mappings and lists."""
    element = Element(name)
    _fill(element, name, value)
    return element


def _fill(element: Element, name: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(SubElement(element, key), key, item)
    elif isinstance(value, list | tuple):
        child = _SINGULAR.get(name, "item")
        for item in value:
            _fill(SubElement(element, child), child, item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
