"""tta_ci.plan.diff: a unified diff parsed into changed lines and file statuses."""

from __future__ import annotations

from tta_ci.plan.diff import parse_diff


def test_parse_diff_lines_and_statuses() -> None:
    text = (
        "diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n"
        "@@ -3 +3 @@\n-a\n+b\n@@ -7,2 +6,0 @@\n-c\n-d\n"
        "diff --git a/old.py b/new.py\nsimilarity index 100%\n"
        "rename from old.py\nrename to new.py\n"
    )
    modified, renamed = parse_diff(text)
    assert (modified.path, modified.status, modified.added) == ("m.py", "modified", {3})
    assert modified.removed == {3, 7, 8} and modified.removal_anchors == {6, 7}
    assert (renamed.path, renamed.old_path, renamed.status) == ("new.py", "old.py", "renamed")
    assert not renamed.has_content_change
