"""A large directory to apply against a misbehaving sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

MOBILE_BASE = 9_800_000_000


def write_directory(folder: Path, count: int) -> list[str]:
    """``count`` numbers, each with a permanent DNC; returns their E.164 forms."""
    folder.mkdir(parents=True, exist_ok=True)
    numbers = [f"+91{MOBILE_BASE + i * 7}" for i in range(count)]
    lines = ["version: 1", "dnc:"]
    for number in numbers:
        lines.append(f'  - number: "{number}"')
        lines.append("    until: permanent")
    (folder / "dnc.yaml").write_text("\n".join(lines) + "\n")
    return numbers


@pytest.fixture
def big_directory(tmp_path: Path) -> Path:
    folder = tmp_path / "big"
    write_directory(folder, 2000)
    return folder
