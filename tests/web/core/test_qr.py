"""The receipt's QR code: the code rides in the URL fragment, the SVG obeys the CSP."""

from __future__ import annotations

from urllib.parse import urlsplit
from xml.etree import ElementTree

from web.core.qr import qr_svg, status_qr_svg, status_qr_url


def test_the_number_and_code_are_in_the_fragment_only() -> None:
    url = status_qr_url("https://case.kcg.example/", "20260413-0042", "7KQ3MX9PHT")
    assert url == "https://case.kcg.example/status#n=20260413-0042&c=7KQ3MX9PHT"
    parts = urlsplit(url)
    # What a browser sends to the server (path and query) holds neither.
    assert "7KQ3MX9PHT" not in parts.path + parts.query
    assert "20260413-0042" not in parts.path + parts.query
    assert parts.fragment == "n=20260413-0042&c=7KQ3MX9PHT"


def test_the_svg_is_an_accessible_image_without_inline_style() -> None:
    svg = str(status_qr_svg("http://x", "20260413-0042", "7KQ3MX9PHT", label='QR "code" <x>'))
    root = ElementTree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == 'QR "code" <x>'
    assert "style" not in svg
    assert len(root) >= 1  # the modules are drawn


def test_longer_data_makes_a_bigger_code() -> None:
    small = ElementTree.fromstring(str(qr_svg("x", label="q"))).get("viewBox")
    large = ElementTree.fromstring(str(qr_svg("x" * 200, label="q"))).get("viewBox")
    assert small != large
