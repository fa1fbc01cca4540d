"""Matching tests are lexical unless they say otherwise: the optional semantic extra, where it
is installed, would otherwise change the text factor they assert on."""

import pytest


@pytest.fixture(autouse=True)
def _lexical_matching(request, settings):
    if request.node.get_closest_marker("semantic") is None:
        settings.MATCHING_SEMANTIC = False
