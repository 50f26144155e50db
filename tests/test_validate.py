"""Recordings are untrusted input (validate.py): real ones, damaged every way damage.py knows,
are refused in one line or work all the way through `inspect` and the storyboard (and, for a
sample, `nntopo render --from` and `nntopo inspect`). Never a traceback, never a crash."""

import dataclasses
import itertools
import resource
import shutil

import av
import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import damage
from conftest import FUZZ_SCALE
from nntopo import cli, inspect, storyboard
from nntopo.errors import NntopoError
from nntopo.recording import RecordingError, load

COUNTER = itertools.count()
damages = st.lists(st.tuples(st.sampled_from(damage.ARRAY_DAMAGE), st.integers(0, 2**32 - 1)), min_size=1, max_size=3)
file_damage = st.one_of(st.none(), st.tuples(st.sampled_from(damage.FILE_DAMAGE), st.integers(0, 2**32 - 1)))


def damaged(bases, tmp_path_factory, base, array_damage, file_damage):
    """A damaged copy of recording `base`; None when the damage could not even be written."""
    folder = tmp_path_factory.mktemp(f"damaged-{next(COUNTER)}")
    path = folder / "run.npz"
    a = damage.arrays_of(bases[base])
    try:
        for op, seed in array_damage:
            a = op(a, np.random.default_rng(seed))
        np.savez(path, **a)
    except (KeyError, ValueError, TypeError):  # the damage broke the writer, not a recording
        return None
    if file_damage is not None:
        op, seed = file_damage
        op(path, np.random.default_rng(seed))
    return path


def one_line(e: Exception) -> None:
    assert "\n" not in str(e) and str(e).strip(), repr(e)


def address_space() -> int:
    """Bytes of address space this process has mapped now (VmSize)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))


@pytest.fixture(autouse=True)
def memory_cap():
    """A recording must never make nntopo allocate more than a real one: with 4 GB of address
    space beyond what the process has mapped already (a real tiny recording needs a fraction), a
    huge declared size fails as MemoryError. (Relative: after the whole suite has imported torch,
    manim, pyarrow and dask and run a cluster, the process maps several GB it never touches.)"""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (address_space() + 4 * 2**30, hard))
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.mark.fuzz
@settings(max_examples=150 * FUZZ_SCALE)
@given(base=st.integers(0, 7), array_damage=damages, file_damage=file_damage)
def test_a_damaged_recording_is_refused_or_works_through(recordings_to_damage, tmp_path_factory, base,
                                                        array_damage, file_damage):
    path = damaged(recordings_to_damage, tmp_path_factory, base, array_damage, file_damage)
    if path is None:
        return
    try:
        rec = load(path)
    except RecordingError as e:
        one_line(e)
        assert str(e).startswith(str(path))
        event("refused: " + str(e)[len(str(path)) + 2:].split("(")[0].split(";")[0][:40])  # the kind
        return
    event("loaded")
    for use in (inspect, lambda r: storyboard.layers(r, fps=2)):
        try:
            result = use(rec)
        except NntopoError as e:  # a picture that cannot be drawn yet (three classes): one line
            one_line(e)
            continue
        if isinstance(result, storyboard.Storyboard):
            for start in range(0, result.total_frames, 64):
                frames = result.source(start, min(start + 64, result.total_frames))
                for f in dataclasses.fields(frames):  # every number on screen is a number
                    value = getattr(frames, f.name)
                    for a in value if isinstance(value, tuple) else (value,):
                        assert a.dtype.kind not in "fc" or np.isfinite(a).all(), f.name


@pytest.mark.fuzz
@settings(max_examples=8 * FUZZ_SCALE)
@given(base=st.integers(0, 7), array_damage=damages)
def test_the_commands_on_a_damaged_recording_end_well(recordings_to_damage, tmp_path_factory, base, array_damage):
    path = damaged(recordings_to_damage, tmp_path_factory, base, array_damage, None)
    if path is None:
        return
    out = path.with_name("out.mp4")
    for args in (["inspect", str(path)], ["render", "--from", str(path), "--fps", "1", "-o", str(out)]):
        result = CliRunner().invoke(cli.app, args)
        assert result.exit_code in (0, 2), (args, result.exception)
        if result.exit_code == 2:
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
            assert not out.exists()
        elif args[0] == "render":
            with av.open(str(out)) as c:
                assert sum(1 for _ in c.decode(video=0)) > 0


@pytest.mark.parametrize("make", [damage.huge_declared, damage.truncate, damage.flip_bits])
def test_file_damage_of_every_kind_is_refused_or_harmless(recordings_to_damage, tmp_path, make):
    """A huge declared array and a truncated file are always refused, in one line; flipped bits
    are refused unless they hit what no check can see (a compressed stream's slack, a number
    that stays a finite number), and then the file loads as a recording that draws."""
    refused = 0
    for seed in range(20):
        path = tmp_path / f"{seed}.npz"
        shutil.copy(recordings_to_damage[0], path)
        make(path, np.random.default_rng(seed))
        try:
            rec = load(path)
        except RecordingError as e:
            one_line(e)
            refused += 1
            continue
        assert make is damage.flip_bits, f"seed {seed}: {make.__name__} was not refused"
        assert np.isfinite(rec.net.outputs(rec.X)).all() and storyboard.layers(rec, fps=2).total_frames > 0
    assert refused >= (20 if make is not damage.flip_bits else 10), refused


def test_a_huge_declared_array_is_refused_before_it_is_read(recordings_to_damage, tmp_path):
    path = tmp_path / "huge.npz"
    shutil.copy(recordings_to_damage[0], path)
    damage.huge_declared(path, np.random.default_rng(1))  # X declares (1e6, 1e6): 8 TB
    with pytest.raises(RecordingError, match="has shape"):
        load(path)


def _meta(edit):
    def damage_meta(a):
        import json

        m = json.loads(str(a["meta"]))
        edit(m)
        a["meta"] = np.array(json.dumps(m))
    return damage_meta


def _set(key, make):
    def damage_array(a):
        a[key] = make(a[key])
    return damage_array


def _one(value):
    def put(v):
        v = v.copy()
        v.flat[0] = value
        return v
    return put


# Every failure class the fuzzers found (each was a traceback before the fix), as a fixed case:
# (which recording, the damage, what must happen: "refused" with these words, or "works").
FOUND = {
    "format of shape (1,)": (0, _set("format", lambda v: np.array([3])), "format must be one integer"),
    "a weight of 1e300": (0, _set("W0", _one(1e300)), "reaches values of"),
    "a classifier of zeros": (1, _set("head_w", np.zeros_like), "works"),
    "float16 weights": (0, _set("W0", lambda v: v.astype(np.float16)), "works"),
    "text weights": (0, _set("W0", lambda v: v.astype("U3")), "holds <U3, not numbers"),
    "an object array": (0, _set("W0", lambda v: np.array([{}], dtype=object)), "holds object, not numbers"),
    "labels as floats": (0, _set("y", lambda v: v + 0.5), "labels are not 0 ... 1"),
    "no test_points": (0, _meta(lambda m: m["metrics"].pop("test_points")), "works"),
    "max_stretch null": (0, _meta(lambda m: m["metrics"].update(max_stretch=None)), "works"),
    "no seed": (0, _meta(lambda m: m.pop("seed")), "works"),
    "field_steps of junk": (1, _meta(lambda m: m["metrics"].update(field_steps=[{"x": 1}])), "field_steps must be"),
    "extent of text": (0, _meta(lambda m: m["dataset"].update(extent="x")), "extent must be"),
    "metadata a list": (0, lambda a: a.update(meta=np.array("[]")), "metadata is list, not an object"),
    # residual blocks and neural ODEs (recordings 6 and 7)
    "a solver torchdiffeq lacks": (7, _meta(lambda m: m["net"]["hidden"][0]["solver"].update(method="rk45")),
                                   "solver 'rk45'"),
    "an interval of length 0": (7, _meta(lambda m: m["net"]["hidden"][0].update(t1=0.0)), "length 0"),
    "an infinite interval": (7, _meta(lambda m: m["net"]["hidden"][0].update(t1=float("inf"))), "t1"),
    "a negative augment": (7, _meta(lambda m: m["net"]["hidden"][0].update(augment=-1)), "augment"),
    "a zero tolerance": (7, _meta(lambda m: m["net"]["hidden"][0]["solver"].update(rtol=0)), "rtol"),
    "an ODE's f that changes the state": (7, lambda a: a.update(F0W1=a["F0W1"][:2], F0b1=a["F0b1"][:2]),
                                          "shape|gives 2 outputs"),
    "a block's f that changes the dimension": (6, _meta(lambda m: m["net"]["hidden"][0]["chain"].pop()),
                                               "no layer of the network uses|gives"),
    "an ODE's weight of NaN": (7, lambda a: a["F0W0"].__setitem__((0, 0), np.nan), "non-finite numbers"),
    "an ODE recording read as format 3": (7, lambda a: a.update(format=np.array(3)), "layer kind 'ode'"),
}


@pytest.mark.parametrize("case", FOUND)
def test_what_the_fuzzers_found_stays_fixed(recordings_to_damage, tmp_path, case):
    base, damage_it, expected = FOUND[case]
    a = damage.arrays_of(recordings_to_damage[base])
    damage_it(a)
    path = tmp_path / "run.npz"
    np.savez(path, **a)
    if expected != "works":
        with pytest.raises(RecordingError, match=expected) as e:
            load(path)
        one_line(e.value)
        return
    rec = load(path)
    inspect(rec)
    sb = storyboard.layers(rec, fps=2)
    frames = sb.source(0, sb.total_frames)
    assert np.isfinite(frames.line).all() and np.isfinite(frames.grid).all()
    assert storyboard.layers(rec, fps=2).info  # the panel's lines were made


def test_a_header_that_is_not_a_literal_is_refused(recordings_to_damage, tmp_path):
    """Found by the fuzzer: flipped bits in a header made numpy's parser raise TokenError."""
    import zipfile

    a = damage.arrays_of(recordings_to_damage[0])
    path = tmp_path / "broken.npz"
    with zipfile.ZipFile(path, "w") as z:
        for k, v in a.items():
            if k == "W0":
                header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (2, "
                z.writestr("W0.npy", np.lib.format.magic(1, 0) + len(header).to_bytes(2, "little") + header)
            else:
                import io

                buf = io.BytesIO()
                np.save(buf, v)
                z.writestr(k + ".npy", buf.getvalue())
    with pytest.raises(RecordingError, match="array 'W0' has an unreadable header"):
        load(path)
