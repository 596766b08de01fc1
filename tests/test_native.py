"""The native library: built once per machine into the cache, and a clean fallback without it."""

from __future__ import annotations

import os

import pytest

from randrnn.errors import RandRNNError
from randrnn.training import engine, native


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """An empty library cache and forgotten build results (restored afterwards)."""
    monkeypatch.setenv("RANDRNN_CACHE", str(tmp_path))
    native.library.cache_clear()
    native.available.cache_clear()
    yield tmp_path
    native.library.cache_clear()
    native.available.cache_clear()


def test_builds_once_into_the_cache(fresh) -> None:
    """The first use compiles into the cache; later loads reuse the file, nothing half-written."""
    lib = native.library()
    built = list((fresh / "native").glob("*/librandrnn.so"))
    assert len(built) == 1
    assert lib.randrnn_forward_f32 is not None
    stamp = built[0].stat().st_mtime_ns
    native.library.cache_clear()
    native.library()
    assert built[0].stat().st_mtime_ns == stamp
    assert [p.name for p in built[0].parent.iterdir()] == ["librandrnn.so"]


def test_without_a_compiler_the_wavefront_trains(fresh, monkeypatch) -> None:
    """No compiler: one warning, the wavefront is the default, native asked for says why."""
    monkeypatch.setenv("CXX", str(fresh / "no-such-compiler"))
    monkeypatch.delenv("RANDRNN_ENGINE", raising=False)
    with pytest.warns(RuntimeWarning, match="native engine unavailable"):
        assert engine.resolve_engine() == "wavefront"
    with pytest.raises(native.NativeUnavailable, match="does not run"):
        native.library()
    assert not list(fresh.rglob("*.so"))


def test_a_failing_build_leaves_nothing(fresh, monkeypatch) -> None:
    """A compiler that fails: a clear error and no file in the cache."""
    monkeypatch.setenv("CXX", "false")  # runs, prints nothing, fails
    with pytest.raises(native.NativeUnavailable):
        native.library()
    assert not [p for p in fresh.rglob("*") if p.is_file()]


def test_engine_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("RANDRNN_ENGINE", "wavefront")
    assert engine.resolve_engine() == "wavefront"
    monkeypatch.setenv("RANDRNN_ENGINE", "turbo")
    with pytest.raises(RandRNNError, match="unknown engine 'turbo'.*native, wavefront"):
        engine.resolve_engine()


def test_a_compile_error_is_one_line(fresh, monkeypatch, tmp_path) -> None:
    """A source that does not compile: the error names the file and the compiler's error line."""
    broken = tmp_path / "native.cpp"
    broken.write_text("this is not C++;\n")
    monkeypatch.setattr(native, "SOURCE", broken)
    with pytest.raises(
        native.NativeUnavailable, match=r"compiling native.cpp with .* failed: .*error"
    ):
        native.library()
    assert not list(fresh.rglob("*.so"))


def test_the_cached_library_is_readable_by_others(fresh) -> None:
    """A cache shared between users works for all of them: the library is not private."""
    before = os.umask(0o022)  # the usual umask; the file follows it, as g++'s own output would
    try:
        native.library()
    finally:
        os.umask(before)
    (built,) = (fresh / "native").glob("*/librandrnn.so")
    assert built.stat().st_mode & 0o055 == 0o055  # read and execute for group and others
