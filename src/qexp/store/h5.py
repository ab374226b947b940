"""Attributes and plain datasets through h5py's low-level API, as its high-level API
writes and reads them.

HDF5 itself spends 0.1 to 0.2 ms on every dataset and attribute, and h5py's high-level
calls add Python around that: a small job's file took 28 ms of CPU through them, 20 ms
through these, and reading a sweep's table reads a dozen attributes per file. These
functions make the same HDF5 calls with the same types and property lists (tests compare
the files byte for byte, and the values read), without the rest.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

import h5py
import numpy as np
from h5py import h5, h5a, h5d, h5p, h5s, h5t
from h5py._hl.attrs import AttributeManager
from h5py._hl.base import array_for_new_object
from h5py._objects import ObjectID


def set_attrs(obj: Any, values: Mapping[str, Any]) -> None:
    """`obj.attrs[name] = value` for each item; `obj`: a File, Group or Dataset, or its id."""
    target = obj if isinstance(obj, ObjectID) else obj.id
    for name, value in values.items():
        data = array_for_new_object(value)
        logical, memory = _types(data.dtype)
        key = name.encode()
        space = _scalar_space() if data.shape == () else h5s.create_simple(data.shape)
        try:  # most names are new (a file being written): no look for an old one first
            attr = h5a.create(target, key, logical, space)
        except OSError:  # what HDF5 says of a name the object has already
            if not h5a.exists(target, key):
                raise
            h5a.delete(target, key)
            attr = h5a.create(target, key, logical, space)
        try:
            attr.write(np.asarray(data, dtype=data.dtype), mtype=memory)
        finally:
            attr.close()


def get_attrs(obj: Any, names: Iterable[str]) -> dict[str, Any]:
    """`{name: obj.attrs[name]}` for each of `names` that `obj` has, valued as h5py reads
    them; reading a sweep's table reads a dozen per file, and this takes half the time."""
    target = obj if isinstance(obj, ObjectID) else obj.id
    found = {}
    for name in names:
        key = name.encode()
        if not h5a.exists(target, key):
            continue
        attr = h5a.open(target, key)
        dtype, shape = attr.dtype, attr.shape
        if shape is None or dtype.subdtype is not None:  # empty, or an array type: rare
            found[name] = AttributeManager(_Holder(target))[name]
            continue
        data = np.zeros(shape, dtype=dtype)
        attr.read(data, mtype=_memory_type(dtype))
        if h5t.check_string_dtype(dtype) is not None and dtype.kind == "O":  # vlen strings
            data = np.array(
                [b.decode("utf-8", "surrogateescape") for b in data.flat], dtype=dtype
            ).reshape(data.shape)
        found[name] = data[()] if data.ndim == 0 else data
    return found


def plain_dataset(group: Any, name: str, data: Any) -> h5d.DatasetID:
    """`group.create_dataset(name, data=data)` (contiguous, no filters): its low-level id,
    which `set_attrs` takes."""
    array = array_for_new_object(data)
    logical, _ = _types(array.dtype)
    space = h5s.create_simple(array.shape, None)
    dcpl = _plain_dcpl(h5.get_config().track_order)
    dataset = h5d.create(group.id, name.encode(), logical, space, dcpl=dcpl)
    dataset.write(h5s.ALL, h5s.ALL, array)
    return dataset


@functools.cache
def _scalar_space() -> h5s.SpaceID:
    """The dataspace of every scalar attribute, made once (HDF5 copies it into each)."""
    return h5s.create_simple(())


def _types(dtype: np.dtype) -> tuple[h5t.TypeID, h5t.TypeID]:
    """The file type and the memory type h5py gives an array of `dtype`."""
    if dtype.metadata == _VLEN_STR:  # most attributes: made once, as plain types are
        return _vlen_str_types()
    if dtype.metadata or dtype.kind in "OV":  # enums, compounds, vlen bytes: not cached
        return h5t.py_create(dtype, logical=True), h5t.py_create(dtype)
    return _plain_types(dtype)


_VLEN_STR = {"vlen": str}
"""The metadata of `h5py.string_dtype()`, which numpy leaves out of a dtype's hash and
equality (a vlen string dtype equals plain `object`): the reason it has a cache apart."""


@functools.cache
def _vlen_str_types() -> tuple[h5t.TypeID, h5t.TypeID]:
    dtype = h5py.string_dtype()
    return h5t.py_create(dtype, logical=True), h5t.py_create(dtype)


@functools.cache
def _plain_types(dtype: np.dtype) -> tuple[h5t.TypeID, h5t.TypeID]:
    return h5t.py_create(dtype, logical=True), h5t.py_create(dtype)


def _memory_type(dtype: np.dtype) -> h5t.TypeID:
    return h5t.py_create(dtype) if dtype.metadata else _plain_types(dtype)[1]


class _Holder:
    """What h5py's AttributeManager takes: an object with an `id`."""

    def __init__(self, object_id: ObjectID) -> None:
        self.id = object_id


@functools.cache
def _plain_dcpl(track_order: bool) -> h5p.PropDCID:
    """The dataset creation properties h5py's `create_dataset` sets without options."""
    dcpl = h5p.create(h5p.DATASET_CREATE)
    dcpl.set_obj_track_times(False)
    dcpl.set_attr_creation_order(
        h5p.CRT_ORDER_TRACKED | h5p.CRT_ORDER_INDEXED if track_order else 0
    )
    return dcpl
