"""A large directory is read by several processes, with the same result."""

from __future__ import annotations

import logging
import multiprocessing
from pathlib import Path

import pytest

from reconciler import declarations, settings
from reconciler.errors import DeclarationError
from tests.declarations.conftest import NOW

CONFIG = settings.Settings()


def _write_team(folder: Path, team: int, count: int) -> None:
    lines = ["version: 1", "dnc:"]
    for serial in range(count):
        lines.append(f'  - number: "+91 98{team:02d}0 {serial:05d}"')
        lines.append("    until: permanent")
        lines.append(f'    owner: "team-{team}"')
    (folder / f"team-{team:02d}.yaml").write_text("\n".join(lines) + "\n")


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    for team in range(6):
        _write_team(tmp_path, team, 40 + team * 15)
    return tmp_path


@pytest.fixture
def in_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(declarations, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(declarations, "_cores", lambda: 3)


def _load_logged(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> declarations.Declarations:
    with caplog.at_level(logging.INFO, logger="reconciler.declarations"):
        return declarations.load([folder], CONFIG, NOW)


def _problems(folder: Path) -> list[str]:
    with pytest.raises(DeclarationError) as caught:
        declarations.load([folder], CONFIG, NOW)
    return [str(problem) for problem in caught.value.problems]


def test_processes_read_what_one_process_reads(
    directory: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    alone = _load_logged(directory, caplog)
    assert "in 1 processes" in caplog.text

    monkeypatch.setattr(declarations, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(declarations, "_cores", lambda: 3)
    caplog.clear()
    shared = _load_logged(directory, caplog)

    assert "in 3 processes" in caplog.text
    assert shared.entries == alone.entries
    assert shared.digest == alone.digest
    assert len(shared.entries) == sum(40 + team * 15 for team in range(6))


def _declare_the_first_number_again(directory: Path) -> None:
    """The first team's first number again, in the last file read."""
    text = (directory / "team-05.yaml").read_text()
    again = text.replace('"+91 98050 00000"', '"+91 98000 00000"', 1)
    (directory / "team-05.yaml").write_text(again)


@pytest.mark.parametrize("keep_entries", [True, False])
def test_a_duplicate_across_processes_names_the_first_place(
    directory: Path, in_processes: None, keep_entries: bool
) -> None:
    _declare_the_first_number_again(directory)

    with pytest.raises(DeclarationError) as caught:
        declarations.load([directory], CONFIG, NOW, keep_entries)

    [problem] = map(str, caught.value.problems)
    assert "team-05.yaml:3:5: error: duplicate" in problem
    assert "first declared at" in problem and "team-00.yaml:3:5" in problem


def test_entries_only_counted_are_counted_in_every_process(
    directory: Path, in_processes: None
) -> None:
    kept = declarations.load([directory], CONFIG, NOW)
    counted = declarations.load([directory], CONFIG, NOW, keep_entries=False)

    assert counted.entries == []
    assert counted.valid == kept.valid == len(kept.entries)
    assert counted.valid == sum(40 + team * 15 for team in range(6))
    assert counted.digest == kept.digest


def test_every_file_s_errors_are_reported(directory: Path, in_processes: None) -> None:
    for team in (0, 5):
        path = directory / f"team-{team:02d}.yaml"
        path.write_text(path.read_text().replace("until: permanent", "until: soon", 1))

    found = _problems(directory)

    assert len(found) == 2
    assert any("team-00.yaml:4:12" in text for text in found)
    assert any("team-05.yaml:4:12" in text for text in found)


def test_groups_keep_the_files_in_order(tmp_path: Path) -> None:
    files = []
    for index, size in enumerate((5, 1, 1, 1, 4, 4)):
        path = tmp_path / f"f{index}.yaml"
        path.write_text("x" * size * 100)
        files.append(path)

    sizes = [path.stat().st_size for path in files]
    groups = declarations._split(files, sizes, 3)

    assert [path for group in groups for path in group] == files
    shares = [sum(path.stat().st_size for path in group) for group in groups]
    assert shares == [600, 600, 400]


def test_what_a_worker_sends_back_is_what_it_found() -> None:
    fixtures = Path(__file__).resolve().parent / "fixtures"
    files = [
        fixtures / "every-kind.yaml",
        fixtures / "ensure-absent-every-kind.yaml",
        fixtures / "duplicate-sticky-rule.yaml",
        fixtures / "invalid-number.yaml",
    ]
    checked = declarations._check_group(files, CONFIG, NOW)
    entries, valid, problems, seen = checked
    assert valid == len(entries)
    assert {entry.kind for entry in entries} == set(declarations.KINDS)
    assert any(entry.key is not None for entry in entries)
    assert problems and any(len(places) > 1 for places in seen.values())

    assert declarations._unpack(declarations._pack(checked)) == checked


def test_a_reader_told_to_stop_gives_up_before_its_next_file(
    directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stop = multiprocessing.get_context("fork").Event()
    monkeypatch.setattr(declarations, "_stop", stop)
    files = sorted(directory.glob("*.yaml"))
    assert declarations._check_group(files, CONFIG, NOW)[1] > 0

    stop.set()

    with pytest.raises(declarations._Stopped):
        declarations._check_group(files, CONFIG, NOW)
