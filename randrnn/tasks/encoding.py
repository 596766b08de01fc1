"""Strings to model input: ASCII codes, zero-padded, with the true lengths.

Models read one ASCII code per letter through an embedding of 128 rows, so any alphabet of
printable ASCII works (Reber's BEPSTVX, Tomita's 01, Dyck's ()[], anbn's ab). Code 0 is the
padding, so a string may not contain NUL, and a string may not be empty (a model reads its answer
at the last letter).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from randrnn.errors import RandRNNError


def encode(strings: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """ASCII codes (B, T) zero-padded to the longest string, and the true lengths (B,)."""
    if len(strings) == 0:
        raise RandRNNError("no strings to encode")
    lengths = np.fromiter((len(s) for s in strings), dtype=np.int64, count=len(strings))
    codes = np.zeros((len(strings), int(lengths.max())), dtype=np.int64)
    for i, s in enumerate(strings):
        try:
            b = s.encode("ascii")
        except UnicodeEncodeError as exc:
            raise RandRNNError(
                f"string at index {i} has a character outside ASCII at position {exc.start}"
            ) from None
        if not b:
            raise RandRNNError(f"string at index {i} is empty")
        if 0 in b:
            raise RandRNNError(f"string at index {i} contains NUL (code 0 is the padding)")
        codes[i, : len(b)] = np.frombuffer(b, dtype=np.uint8)
    return torch.from_numpy(codes), torch.from_numpy(lengths)
