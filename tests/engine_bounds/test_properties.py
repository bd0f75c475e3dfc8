"""Property tests (hypothesis) for the search space and the tar reader: whatever the input, the space
samples typed values in range and on the step grid without materialising it (a time bound), and the
tar reader never writes outside its folder, never exceeds its limits and never fails but with a
400/413 EngineError."""

from __future__ import annotations

import io
import math
import os
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlicli.engine import EngineError
from dlicli.engine.hpo.algorithms.space import Space, SpaceError
from dlicli.engine.limits import Limits
from dlicli.engine.tasks.unpack import unpack

FAST = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
BIG = 10**30

ints = st.integers(min_value=-BIG, max_value=BIG)
doubles = st.floats(min_value=-1e300, max_value=1e300, allow_nan=False, allow_infinity=False)


@st.composite
def int_range(draw) -> dict:
    low, high = sorted((draw(ints), draw(ints)))
    hp = {"name": "i", "type": "Range", "dataType": "int", "minIntVal": low, "maxIntVal": high}
    if draw(st.booleans()):
        hp["step"] = draw(st.integers(min_value=1, max_value=BIG))
    return hp


@st.composite
def double_range(draw) -> dict:
    low, high = sorted((draw(doubles), draw(doubles)))
    hp = {"name": "d", "type": "Range", "dataType": "double", "minDbVal": low, "maxDbVal": high}
    if draw(st.booleans()):
        hp["step"] = draw(st.floats(min_value=1e-6, max_value=1e300))
    return hp


@st.composite
def power_range(draw) -> dict:
    low, high = sorted((draw(st.floats(-50, 50)), draw(st.floats(-50, 50))))
    return {"name": "p", "type": "Range", "dataType": "double", "minDbVal": low, "maxDbVal": high, "power": 10}


def on_grid(value: float, low: float, step: float) -> bool:
    k = (value - low) / step
    return math.isclose(k, round(k), rel_tol=1e-6, abs_tol=1e-6)


@FAST
@given(st.one_of(int_range(), double_range(), power_range()), st.integers(0, 2**32 - 1))
def test_any_valid_space_samples_in_range_and_on_its_grid_quickly(hp, seed):
    began = time.monotonic()
    try:
        space = Space([hp])
    except SpaceError as exc:  # only a range too wide for a double may be refused, and says so
        assert "too wide" in str(exc)
        return
    rng = np.random.default_rng(seed)
    param = space.params[0]
    for _ in range(20):
        value = space.sample(rng)[param.name]
        low, high = param.bounds()
        if hp["dataType"] == "int":
            assert isinstance(value, int)
            assert int(low) <= value <= int(high)
            if "step" in hp:  # bounds and step are doubles, as JSON numbers are
                assert (value - int(low)) % int(float(hp["step"])) == 0
        else:
            assert math.isfinite(value) and low - abs(low) * 1e-9 <= value <= high + abs(high) * 1e-9
            if "step" in hp and param.grid is not None and param.grid.size < 2**52:
                assert on_grid(value, param.low, hp["step"])
        assert space.decode(space.encode({param.name: value}))[param.name] == pytest.approx(value, rel=1e-6)
    assert time.monotonic() - began < 1.0


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from(["1e400", "-1e400", "nan", "inf", "1" + "0" * 400]),
)


@FAST
@given(
    st.fixed_dictionaries(
        {"name": st.just("x"), "type": st.sampled_from(["Range", "Discrete", "range"])},
        optional={
            "dataType": st.sampled_from(["int", "double", "str", "bogus"]),
            "minIntVal": junk,
            "maxIntVal": junk,
            "minDbVal": junk,
            "maxDbVal": junk,
            "step": junk,
            "power": junk,
            "discreteDbVal": st.lists(junk, max_size=4),
        },
    )
)
def test_any_definition_is_a_space_or_a_space_error_never_inf(hp):
    try:
        space = Space([hp])
    except SpaceError:
        return
    value = space.sample(np.random.default_rng(0))["x"]
    assert not isinstance(value, float) or math.isfinite(value)


KINDS = st.sampled_from(["file", "dir", "sym", "lnk", "fifo", "chr"])
NAMES = st.lists(
    st.sampled_from(["m", "a", "b", "..", ".", "", "/", "/etc", "x.py", "__MACOSX"]), min_size=1, max_size=4
)
LIMITS = Limits(max_upload_bytes=1 << 20, max_unpacked_bytes=3000, max_tar_members=8, max_unpack_ratio=100)


def build_tar(members: list[tuple[str, str, str, int]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, kind, target, size in members:
            info = tarfile.TarInfo(name)
            info.type = {
                "file": tarfile.REGTYPE,
                "dir": tarfile.DIRTYPE,
                "sym": tarfile.SYMTYPE,
                "lnk": tarfile.LNKTYPE,
                "fifo": tarfile.FIFOTYPE,
                "chr": tarfile.CHRTYPE,
            }[kind]
            info.linkname = target
            data = b"z" * size if kind == "file" else b""
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if data else None)
    return buffer.getvalue()


def tree(root: Path) -> set[str]:
    return {str(Path(d, f).relative_to(root)) for d, dirs, files in os.walk(root) for f in dirs + files}


@FAST
@given(
    st.lists(
        st.tuples(NAMES.map("/".join), KINDS, NAMES.map("/".join), st.integers(0, 1500)),
        min_size=1,
        max_size=12,
    )
)
def test_the_tar_reader_never_writes_outside_never_exceeds_and_never_500s(members):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        upload = root / "up.tar.gz"
        upload.write_bytes(build_tar(members))
        dest = root / "box" / "code"
        dest.parent.mkdir()
        before = tree(root) - {"box"}
        try:
            folder = unpack(upload, "m.tar.gz", dest, LIMITS)
        except EngineError as exc:
            assert exc.status in (400, 413), exc.message
            assert not dest.exists()
        else:
            assert folder == dest or dest in folder.parents
            written = [p for p in dest.rglob("*") if p.is_file() and not p.is_symlink()]
            assert sum(p.stat().st_size for p in written) <= LIMITS.max_unpacked_bytes
            # members count, not the folders their paths imply (`a/b/x.py` makes a and a/b too)
            assert len([p for p in dest.rglob("*") if p.is_symlink() or not p.is_dir()]) <= LIMITS.max_tar_members
            for path in dest.rglob("*"):
                assert dest in path.resolve().parents or path.resolve() == dest.resolve()
        outside = {p for p in tree(root) if not p.startswith("box")}
        assert outside == before
