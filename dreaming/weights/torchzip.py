"""Read the tensors of a TorchScript archive with the standard library and numpy, no torch.

A TorchScript `.pt` file is a zip: `<root>/data.pkl` pickles the module tree, and each
tensor in it is a `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`
call whose storage is a *persistent id* naming a raw little-endian file `<root>/data/<key>`.
We unpickle with stand-ins for the torch classes and read those files with numpy.
"""
from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import numpy as np

_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
           "LongStorage": np.int64, "IntStorage": np.int32}


def read_tensors(path: str | Path) -> list[tuple[str, np.ndarray]]:
    """Every tensor in the archive as (dotted.attribute.path, array), in the module's own order."""
    with zipfile.ZipFile(path) as archive:
        root = next(n[: -len("data.pkl")] for n in archive.namelist() if n.endswith("/data.pkl"))
        unpickler = _Unpickler(archive.open(root + "data.pkl"), archive, root)
        module = unpickler.load()
        out: list[tuple[str, np.ndarray]] = []
        _collect(module, "", out)
        return out


class _TensorRef:
    def __init__(self, storage: np.ndarray, offset: int, size: tuple, stride: tuple):
        count = int(np.prod(size)) if size else 1
        contiguous = tuple(int(np.prod(size[i + 1:])) for i in range(len(size)))
        if tuple(stride) != contiguous:
            raise ValueError(f"non-contiguous tensor (stride {stride}) is not supported")
        self.array = storage[offset: offset + count].reshape(size)


class _ModuleState:
    """Stands in for any `__torch__.*` module class: keeps the state dict it is given."""

    def __init__(self, *args, **kwargs):
        self.state = {}

    def __setstate__(self, state):
        self.state = state if isinstance(state, dict) else {}


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, archive: zipfile.ZipFile, root: str):
        super().__init__(file)
        self._archive, self._root = archive, root

    def find_class(self, module: str, name: str):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return lambda storage, offset, size, stride, *rest: _TensorRef(storage, offset, size, stride)
        if module == "torch" and name in _DTYPES:
            return _DTYPES[name]
        if module == "torch.jit._pickle" and name.startswith("build_"):
            return lambda value: value  # TorchScript wraps plain lists (e.g. stride) in these
        if module.startswith("__torch__"):
            return type(name, (_ModuleState,), {})
        if module == "collections" and name == "OrderedDict":
            return dict
        # Refuse everything else: a weights file has no business naming other callables.
        raise pickle.UnpicklingError(f"unexpected object {module}.{name} in weights archive")

    def persistent_load(self, pid):
        kind, dtype, key, _location, numel = pid
        if kind != "storage":
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        raw = self._archive.read(f"{self._root}data/{key}")
        return np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"), count=numel)


def _collect(obj, prefix: str, out: list) -> None:
    if isinstance(obj, _TensorRef):
        out.append((prefix, obj.array))
    elif isinstance(obj, _ModuleState):
        for key, value in obj.state.items():
            _collect(value, f"{prefix}.{key}" if prefix else key, out)
