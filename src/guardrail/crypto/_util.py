"""Small shared helpers: base64url, key files (atomic, owner-only), redacted secrets."""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

from guardrail.errors import CryptoError

__all__ = [
    "Unpicklable",
    "atomic_write_secret",
    "b64d",
    "b64e",
    "read_secret_file",
]


def b64e(data: bytes) -> str:
    """base64url without padding (RFC 4648 §5, as JOSE uses it)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64d(text: str | bytes) -> bytes:
    """Decode base64url with or without padding; raises ``ValueError`` on bad input."""
    raw = text.encode("ascii") if isinstance(text, str) else text
    raw += b"=" * (-len(raw) % 4)
    try:
        return base64.urlsafe_b64decode(raw)
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None


class Unpicklable:
    """Mixin: objects holding key material refuse to be pickled or copied."""

    __slots__ = ()

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError(f"{type(self).__name__} holds key material and cannot be pickled")

    def __reduce__(self) -> NoReturn:
        raise TypeError(f"{type(self).__name__} holds key material and cannot be pickled")

    def __getstate__(self) -> NoReturn:
        raise TypeError(f"{type(self).__name__} holds key material and cannot be pickled")


def _check_private(path: Path, st: os.stat_result, what: str) -> None:
    if sys.platform == "win32":  # POSIX modes do not apply; ACLs are the user's business
        return
    if st.st_mode & (stat.S_IROTH | stat.S_IWOTH):
        raise CryptoError(
            f"{what} {path} is readable or writable by every user",
            hint=f"restrict it with 'chmod 600 {path}'",
        )


def read_secret_file(path: Path, what: str) -> str:
    """Read a key file as text; refuses missing, world-accessible or non-UTF-8 files."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise CryptoError(f"{what} {path} does not exist", hint="check the path") from None
    except OSError as exc:
        raise CryptoError(f"cannot read {what} {path} ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise CryptoError(f"{what} {path} is not a regular file", hint="check the path")
    _check_private(path, st, what)
    if st.st_size > 4 * 1024 * 1024:
        raise CryptoError(f"{what} {path} is too large to be a key file", hint="check the path")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CryptoError(
            f"{what} {path} is not a UTF-8 text file", hint="check the path"
        ) from None
    except OSError as exc:
        raise CryptoError(f"cannot read {what} {path} ({exc.strerror})") from None


def atomic_write_secret(path: Path, text: str, *, overwrite: bool) -> None:
    """Write ``text`` to ``path`` with mode 0600, atomically (temp file, fsync, rename)."""
    path = Path(path)
    if not overwrite and path.exists():
        raise CryptoError(
            f"{path} already exists", hint="choose another path or rotate the existing file"
        )
    directory = path.parent if str(path.parent) else Path()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise CryptoError(
            f"cannot write {path} ({exc.strerror})", hint="check the folder"
        ) from None
    try:
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise CryptoError(
            f"cannot write {path} ({exc.strerror})", hint="check the folder"
        ) from None
    with contextlib.suppress(OSError):  # make the rename durable
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
