"""The fast reader of state.npz gives numpy's arrays exactly, and defers to numpy otherwise."""

from __future__ import annotations

import io

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from forecast.persistence._npz import read_npz

_DTYPES = st.sampled_from(["<f8", "<f4", "<i8", "<i4", "|b1", "<U3", "<M8[ns]", "<m8[s]"])
_ARRAYS = _DTYPES.flatmap(
    lambda dtype: hnp.arrays(
        dtype=np.dtype(dtype),
        shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    )
)


def _npz(arrays: dict[str, np.ndarray], compressed: bool = False) -> bytes:
    out = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(out, allow_pickle=False, **arrays)
    return out.getvalue()


def _numpy(data: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.from_regex(r"a[0-9]{1,3}", fullmatch=True), _ARRAYS, max_size=5))
def test_fast_reader_equals_numpy_bit_for_bit(arrays: dict[str, np.ndarray]) -> None:
    data = _npz(arrays)
    fast, slow = read_npz(data), _numpy(data)
    assert fast is not None
    assert sorted(fast) == sorted(slow)
    for key, values in slow.items():
        assert fast[key].dtype == values.dtype
        assert fast[key].shape == values.shape
        assert fast[key].tobytes() == values.tobytes()
        assert fast[key].flags.writeable


def test_layouts_it_does_not_read_are_left_to_numpy() -> None:
    plain = {"a0": np.arange(6.0).reshape(2, 3)}
    assert read_npz(_npz(plain)) is not None
    assert read_npz(_npz({"a0": plain["a0"].T})) is None  # Fortran order
    assert read_npz(_npz(plain, compressed=True)) is None  # deflated members
    assert read_npz(_npz({"a0": np.array([(1, 2.0)], dtype="i4,f8")})) is None  # structured
    assert read_npz(_npz(plain)[:-40]) is None  # truncated


def test_a_member_whose_data_does_not_fill_its_shape_is_left_to_numpy() -> None:
    import zipfile

    raw = io.BytesIO()
    np.save(raw, np.arange(4.0))
    short = raw.getvalue()[:-8]
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("a0.npy", short)
    assert read_npz(data.getvalue()) is None
