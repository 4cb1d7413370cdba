from __future__ import annotations

from tta_ci.cli.main import entry

if __name__ == "__main__":
    entry()
