"""The study's pseudonymisation key: where it is kept, loading it, creating it.

Split from :mod:`evaltools.data.pseudonym` (which computes pseudonyms with numpy and pandas) so
that checking the key against the store's record (a scheduled ``evaltools run`` with no new wave
file) imports neither; see ``benchmarks/pipeline.py``. Where the key comes from is described in
:mod:`evaltools.data.pseudonym`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from evaltools.core.errors import EvaltoolsError
from evaltools.core.io import atomic_write_bytes

__all__ = ["StudyKeyError", "StudyKey", "load_key", "create_key", "key_env_name",
           "default_key_file", "PSEUDONYM_HEX"]

_KEY_BYTES = 32
_SHA256_BLOCK = 64  # bytes: the block size of SHA-256, for HMAC's padded key
PSEUDONYM_HEX = 20


class StudyKeyError(EvaltoolsError):
    """The study's pseudonymisation key is missing or unusable."""


class StudyKey:
    """A loaded key; its bytes never appear in ``repr`` or ``str``."""

    def __init__(self, secret: bytes, source: str, warnings: tuple[str, ...] = ()):
        if len(secret) < 16:
            raise StudyKeyError(f"the key from {source} is too short ({len(secret)} bytes); "
                            f"expected {_KEY_BYTES}")
        self._secret = secret
        self.source = source
        #: What is unsafe about where the key is kept (e.g. a file others can read).
        self.warnings = tuple(warnings)

    def __repr__(self) -> str:
        return f"StudyKey(source={self.source!r})"

    __str__ = __repr__

    def fingerprint(self) -> str:
        """A short, non-reversible identifier of the key (to tell keys apart in a manifest)."""
        return hashlib.sha256(b"evaltools-key-fingerprint\x00" + self._secret).hexdigest()[:12]

    def digest(self, value: str) -> str:
        """The pseudonym of one normalised identifier."""
        mac = hmac.digest(self._secret, value.encode("utf-8"), "sha256").hex()
        return "p" + mac[:PSEUDONYM_HEX]

    def digests(self, values: list[str]) -> list[str]:
        """The pseudonyms of many normalised identifiers, as :meth:`digest` of each.

        Notes
        -----
        HMAC-SHA256 (RFC 2104: ``H((K ^ opad) || H((K ^ ipad) || m))``) with the hash states
        of the key's two padded blocks computed once and copied for each value, as the pure
        Python fallback of :mod:`hmac` does: the same digests as :func:`hmac.digest`, which
        sets up both blocks again for every call, in half the time for short ids.
        """
        key = self._secret
        if len(key) > _SHA256_BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_SHA256_BLOCK, b"\0")
        inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
        out = []
        for value in values:
            mac = inner.copy()
            mac.update(value.encode("utf-8"))
            done = outer.copy()
            done.update(mac.digest())
            out.append("p" + done.hexdigest()[:PSEUDONYM_HEX])
        return out


def key_env_name(study_id: str) -> str:
    """The default environment variable for a study's key.

    Examples
    --------
    >>> key_env_name("veerkracht-demo")
    'EVALTOOLS_KEY_VEERKRACHT_DEMO'
    """
    return "EVALTOOLS_KEY_" + study_id.upper().replace("-", "_")


def default_key_file(study_id: str) -> Path:
    """``<EVALTOOLS_HOME>/keys/<study id>.key``."""
    home = os.environ.get("EVALTOOLS_HOME") or str(Path("~/.config/evaltools").expanduser())
    return Path(home) / "keys" / f"{study_id}.key"


def _key_file(study) -> Path:
    return Path(study.key_file) if study.key_file is not None else default_key_file(study.id)


def load_key(study) -> StudyKey:
    """The study's key, from the environment or its key file.

    Raises
    ------
    StudyKeyError
        When no key is found (saying where evaltools looked and how to create one) or the key
        is malformed.
    """
    env = study.key_env or key_env_name(study.id)
    value = os.environ.get(env)
    if value:
        try:
            return StudyKey(bytes.fromhex(value.strip()), f"environment variable {env}")
        except ValueError:
            raise StudyKeyError(f"environment variable {env} does not hold a hexadecimal key "
                            f"(expected {2 * _KEY_BYTES} characters 0-9, a-f)") from None
    path = _key_file(study)
    _refuse_inside_study(study, path)
    if not path.is_file():
        raise StudyKeyError(
            f"no pseudonymisation key for study {study.id!r}: set {env} or create the key "
            f"file {path} with 'evaltools key create {study.folder.name}'. Keep the key outside "
            "the study folder and never share it with the data.")
    try:
        text = path.read_text("ascii", errors="replace").strip()
    except OSError as exc:
        raise StudyKeyError(f"the key file {path} of study {study.id!r} cannot be read "
                            f"({exc.strerror}); check its owner and permissions (the user "
                            "running evaltools must be able to read it)") from None
    warnings = []
    if os.name == "posix" and path.stat().st_mode & 0o077:
        warnings.append(f"the key file {path} can be read by other users (mode "
                        f"{path.stat().st_mode & 0o777:o}); restrict it with 'chmod 600 {path}'")
    try:
        return StudyKey(bytes.fromhex(text), f"key file {path.name}", tuple(warnings))
    except ValueError:
        raise StudyKeyError(f"key file {path} does not hold a hexadecimal key") from None


def _refuse_inside_study(study, path: Path) -> None:
    """A key file anywhere inside the study folder would travel with the data: refuse it."""
    folder = Path(study.folder).resolve()
    if folder in path.resolve().parents:
        raise StudyKeyError(
            f"the key file {path} of study {study.id!r} lies inside the study folder "
            f"{study.folder}; a key kept with the data is shared or archived with it. Move it "
            "outside the study folder (e.g. ~/.config/evaltools/keys/) and set "
            "pseudonymisation.key_file or EVALTOOLS_HOME accordingly.")


def create_key(study, overwrite: bool = False) -> Path:
    """Write a new random key to the study's key file (mode 600) and return its path.

    Raises
    ------
    StudyKeyError
        If the key file exists (a new key changes every pseudonym: see the README) and
        ``overwrite`` is false.
    """
    path = _key_file(study)
    _refuse_inside_study(study, path)
    if path.exists() and not overwrite:
        raise StudyKeyError(f"{path} already exists; a new key would change every pseudonym of "
                        f"study {study.id!r}. Remove the file yourself if that is what you want.")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write_bytes(path, (secrets.token_hex(_KEY_BYTES) + "\n").encode("ascii"), mode=0o600)
    return path
