"""Pseudonymisation of respondent identifiers with a per-study secret key.

A pseudonym is ``HMAC-SHA256(key, normalised respondent id)``, shortened to 20 hexadecimal
characters (80 bits) and prefixed with ``p``. The same person gets the same pseudonym in every
wave of a study; without the key, a pseudonym cannot be traced back or recomputed from a known
identifier. The key never appears in any output.

Where the key comes from, in order:

1. the environment variable named by ``pseudonymisation.key_env`` in ``study.yml``, or
   ``EVALTOOLS_KEY_<ID>`` (the study id in capitals, ``-`` as ``_``): 64 hexadecimal characters;
2. the file named by ``pseudonymisation.key_file`` (outside the study folder);
3. the default key file ``<EVALTOOLS_HOME>/keys/<study id>.key``, with ``EVALTOOLS_HOME``
   defaulting to ``~/.config/evaltools``.

``evaltools key create STUDY`` writes a new random key to the key file (readable by its owner
only). Rotating or losing the key: see the README, section "Pseudonymisation".
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from evaltools.data.key import (
    StudyKey,
    StudyKeyError,
    create_key,
    default_key_file,
    key_env_name,
    load_key,
)

#: The key's classes and functions live in :mod:`evaltools.data.key` (no numpy, no pandas)
#: and stay importable from here.
__all__ = ["StudyKeyError", "StudyKey", "load_key", "create_key", "pseudonymise", "key_env_name",
           "default_key_file", "normalise_id"]


def normalise_id(values: pd.Series) -> pd.Series:
    """Respondent ids as text: trimmed, and whole numbers without a decimal part.

    Excel and SPSS deliver numeric ids as floats (``100234.0``); the same person must get the
    same pseudonym whichever format a wave arrived in.

    Examples
    --------
    >>> normalise_id(pd.Series([" 100234 ", 100234.0, "A-17", None])).tolist()
    ['100234', '100234', 'A-17', <NA>]
    """
    def one(value) -> str | None:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            return None
        if isinstance(value, float | np.floating) and float(value).is_integer():
            return str(int(value))
        text = str(value).strip()
        return text or None

    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        # text (every CSV): each distinct value once, as `one` would treat it
        codes, distinct = pd.factorize(values, use_na_sentinel=True)
        done = np.array([v.strip() or None for v in distinct.astype(object)] + [None],
                        dtype=object)
        return pd.Series(done[codes], index=values.index, dtype="string")
    return pd.Series([one(v) for v in values.to_numpy(dtype=object)], index=values.index,
                     dtype="string")


def pseudonymise(ids: Iterable[str] | pd.Series, key: StudyKey) -> pd.Series:
    """Pseudonyms for normalised respondent ids (missing ids stay missing).

    Each distinct id is hashed once (:meth:`StudyKey.digests`) and its pseudonym spread over
    the rows that hold it.
    """
    series = ids if isinstance(ids, pd.Series) else pd.Series(list(ids), dtype="string")
    codes, distinct = pd.factorize(series, use_na_sentinel=True)
    done = np.array(key.digests(distinct.tolist()) + [None], dtype=object)  # -1: missing
    return pd.Series(done[codes], index=series.index, dtype="string")
