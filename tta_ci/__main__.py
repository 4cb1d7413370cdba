from __future__ import annotations

from tta_ci.main import entry

if __name__ == "__main__":
    entry()
