"""`randrnn predict` prints what it printed before its options were parsed once (issue 28):
every case of `golden/cases.py`, byte for byte against the files written at commit 6cec3a1."""

from __future__ import annotations

from pathlib import Path

import pytest

from .golden import cases


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    pytest.importorskip("grakel")  # the wl_kernel case
    return cases.outputs(tmp_path_factory.mktemp("golden"))


def test_every_golden_file_is_a_case(printed: dict[str, str]) -> None:
    """The folder holds exactly the cases' files (none left over, none missing)."""
    kept = {p.name for p in cases.HERE.iterdir() if p.suffix in (".csv", ".md", ".err")}
    assert kept == set(printed)


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in Path(cases.HERE).iterdir() if p.suffix in (".csv", ".md", ".err")),
)
def test_predict_prints_what_it_printed_before(printed: dict[str, str], name: str) -> None:
    """The same text as the file written by the code before the refactor."""
    assert printed[name] == (cases.HERE / name).read_text()
