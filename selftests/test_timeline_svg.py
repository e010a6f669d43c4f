"""The drill's timeline picture: one stacked bar per second, by answering version and failure, actions marked."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from gonogo.deploy.actions import ActionRun
from gonogo.deploy.prober import Shot
from gonogo.reporting.timeline_svg import render


def test_bars_follow_the_versions_and_failures():
    t0 = 1000.0
    shots = ([Shot(t0 + i * 0.1, "keepalive", "200", 0.01, "1.0.0") for i in range(20)]
             + [Shot(t0 + 2 + i * 0.1, "fresh", "refused", None, None) for i in range(3)]
             + [Shot(t0 + 3 + i * 0.1, "keepalive", "200", 0.01, "1.1.0") for i in range(10)])
    svg = render(shots, [ActionRun("switch", "green", t0 + 2, t0 + 2.5, "ok")], "deploy drill")
    root = ET.fromstring(svg)  # well-formed
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert "+0 s: 10 version 1.0.0" in titles and "+2 s: 3 failed" in titles and "+3 s: 10 version 1.1.0" in titles
    assert "33 requests, 3 failed" in svg and "switch (0.5 s)" in svg


def test_no_requests_is_said():
    assert "no requests" in render([], [], "deploy drill")
