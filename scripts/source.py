"""Fetch the pinned CPython tarball, verify it, and extract the pristine source once.

Routes, in order: a local file (``downloads/`` or ``$CPYTHON_TARBALL``), the upstream
release URL, then Debian's source package fetched with ``apt-get source`` through a
private apt configuration whose mirror is read from this machine's own apt sources.
The sha256 is checked on every route. Extraction goes to a temporary folder that is
renamed into place, so an interrupted extraction leaves nothing half-done behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from . import ui
from .config import ROOT, Pin
from .errors import HarnessError

DOWNLOADS = ROOT / "downloads"
SRC = ROOT / "src"
DEBIAN_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")


class ChecksumMismatch(HarnessError):
    """A file's sha256 is not the pinned one."""


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, expected: str, *, delete: bool = True) -> None:
    """Refuse a file whose sha256 is not ``expected``; delete it unless told not to."""
    actual = sha256_of(path)
    if actual != expected:
        if delete:
            path.unlink(missing_ok=True)
        raise ChecksumMismatch(
            f"checksum mismatch for {path}:\n  expected sha256 {expected}\n  actual   sha256 {actual}\n"
            + ("  the file was deleted; " if delete else "  the file was left where it is; ")
            + "it is not the pinned CPython release."
        )


def _from_env(pin: Pin, dest: Path) -> str:
    supplied = os.environ.get("CPYTHON_TARBALL")
    if not supplied:
        raise HarnessError("CPYTHON_TARBALL is not set")
    path = Path(supplied)
    if not path.is_file():
        raise HarnessError(f"CPYTHON_TARBALL={supplied} is not a file")
    # The user's own file is never deleted; it is checked, then copied into the cache.
    verify(path, pin.sha256, delete=False)
    tmp = dest.with_suffix(".part")
    shutil.copyfile(path, tmp)
    os.replace(tmp, dest)
    return f"copied from CPYTHON_TARBALL={supplied}"


def _from_url(pin: Pin, dest: Path, timeout: float = 20.0) -> str:
    tmp = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(pin.upstream_url, timeout=timeout) as response, tmp.open("wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        tmp.unlink(missing_ok=True)
        raise HarnessError(f"download of {pin.upstream_url} failed: {exc}") from None
    verify(tmp, pin.sha256)
    os.replace(tmp, dest)
    return f"downloaded from {pin.upstream_url}"


def machine_debian_mirror(apt_dir: Path = Path("/etc/apt")) -> str | None:
    """Return the Debian archive URI this machine's apt already uses, or None.

    Reads deb822 ``*.sources`` files and one-line ``sources.list`` entries and picks the
    first URI that is not a security or updates archive.
    """
    uris: list[str] = []
    for path in sorted(apt_dir.glob("sources.list.d/*.sources")):
        uris += re.findall(r"^URIs:\s*(\S+)", path.read_text(errors="replace"), flags=re.M)
    for path in [apt_dir / "sources.list", *sorted(apt_dir.glob("sources.list.d/*.list"))]:
        if path.is_file():
            for line in path.read_text(errors="replace").splitlines():
                match = re.match(r"^\s*deb(?:-src)?\s+(?:\[[^\]]*\]\s+)?(\S+)", line)
                if match:
                    uris.append(match.group(1))
    for uri in uris:
        if "security" not in uri and uri.rstrip("/").endswith("/debian"):
            return uri
    return None


def _from_debian(pin: Pin, dest: Path) -> str:
    if not shutil.which("apt-get"):
        raise HarnessError("apt-get is not available on this machine")
    mirror = machine_debian_mirror()
    if mirror is None:
        raise HarnessError("no Debian archive found in this machine's apt sources (/etc/apt)")
    with tempfile.TemporaryDirectory(prefix="harness-apt-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "lists" / "partial").mkdir(parents=True)
        (tmp / "parts").mkdir()
        signed = f"[signed-by={DEBIAN_KEYRING}] " if DEBIAN_KEYRING.exists() else ""
        (tmp / "sources.list").write_text(f"deb-src {signed}{mirror} {pin.debian_suite} main\n")
        apt_opts = [
            "-o", f"Dir::Etc::SourceList={tmp / 'sources.list'}",
            "-o", f"Dir::Etc::SourceParts={tmp / 'parts'}",
            "-o", f"Dir::State::Lists={tmp / 'lists'}",
            "-o", "APT::Sandbox::User=root",
        ]  # fmt: skip
        work = tmp / "work"
        work.mkdir()
        for args in (["update"], ["source", "--download-only", pin.debian_package]):
            proc = subprocess.run(
                ["apt-get", "-q", *apt_opts, *args], cwd=work, capture_output=True, text=True
            )
            if proc.returncode != 0:
                tail = "\n    ".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
                raise HarnessError(f"'apt-get {' '.join(args)}' from {pin.debian_suite} failed:\n    {tail}")
        orig = work / pin.debian_orig
        if not orig.is_file():
            found = ", ".join(p.name for p in work.iterdir()) or "nothing"
            raise HarnessError(
                f"Debian's {pin.debian_package} in {pin.debian_suite} has no {pin.debian_orig} "
                f"(it brought: {found}); the suite may have moved to another upstream release"
            )
        verify(orig, pin.sha256)
        shutil.move(str(orig), dest)
    return f"taken from Debian {pin.debian_suite}'s source package {pin.debian_package} ({pin.debian_orig})"


def ensure_tarball(pin: Pin) -> Path:
    """Return the verified tarball in downloads/, fetching it by the first route that works."""
    DOWNLOADS.mkdir(exist_ok=True)
    dest = DOWNLOADS / pin.tarball
    for stale in DOWNLOADS.glob("*.part"):
        stale.unlink()
    if dest.is_file():
        verify(dest, pin.sha256)  # a corrupt cache is deleted and refused
        return dest
    routes = []
    if os.environ.get("CPYTHON_TARBALL"):
        routes.append(("the file in CPYTHON_TARBALL", _from_env))
    routes += [("the upstream release URL", _from_url), ("Debian's source package", _from_debian)]
    failures = []
    for label, route in routes:
        ui.step(f"fetching CPython {pin.version}: trying {label}")
        try:
            how = route(pin, dest)
        except ChecksumMismatch:
            raise
        except HarnessError as exc:
            ui.warn(f"{label}: {exc}")
            failures.append(f"  - {label}: {exc}")
            continue
        ui.step(f"CPython {pin.version} tarball {how}; sha256 verified")
        return dest
    raise HarnessError(
        f"could not obtain {pin.tarball} (sha256 {pin.sha256}). Tried:\n"
        + "\n".join(failures)
        + f"\nSupply it by hand: put the file at {dest} (or Debian's {pin.debian_orig}, renamed),"
        " or set CPYTHON_TARBALL=/path/to/it, then run the command again."
    )


def pristine_tree(pin: Pin) -> Path:
    """Return src/<version>/pristine, extracting the verified tarball if needed."""
    final = SRC / pin.version / "pristine"
    if (final / "configure").is_file():
        return final
    tarball = ensure_tarball(pin)
    final.parent.mkdir(parents=True, exist_ok=True)
    for stale in final.parent.glob(".pristine-*"):
        shutil.rmtree(stale, ignore_errors=True)  # left by an interrupted extraction
    if final.exists():
        shutil.rmtree(final)
    tmp = Path(tempfile.mkdtemp(prefix=".pristine-", dir=final.parent))
    ui.step(f"extracting {tarball.name} into {final.relative_to(ROOT)}")
    try:
        _extract(tarball, tmp)
    except HarnessError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    top = tmp / pin.top_dir
    if not (top / "configure").is_file():
        shutil.rmtree(tmp, ignore_errors=True)
        raise HarnessError(f"{tarball} did not unpack into {pin.top_dir}/ with a configure script")
    os.replace(top, final)
    shutil.rmtree(tmp, ignore_errors=True)
    return final


def _extract(tarball: Path, dest: Path) -> None:
    """Unpack ``tarball`` into ``dest``: with tar where there is one, else Python's tarfile.

    Windows has no GNU tar with xz everywhere; tarfile's "data" filter refuses members
    that would land outside ``dest`` (the tarball is verified by sha256 anyway).
    """
    if os.name != "nt" and shutil.which("tar"):
        proc = subprocess.run(["tar", "-xJf", str(tarball), "-C", str(dest)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise HarnessError(f"extracting {tarball} failed: {proc.stderr.strip()}")
        return
    import tarfile

    try:
        with tarfile.open(tarball, "r:xz") as archive:
            if hasattr(tarfile, "data_filter"):  # 3.12, and 3.11.4 onwards
                archive.extractall(dest, filter="data")
            else:  # Debian 12's 3.11.2: refuse by hand what the data filter would refuse
                for member in archive.getmembers():
                    _check_member(member, dest)
                archive.extractall(dest)
    except (tarfile.TarError, OSError) as exc:
        raise HarnessError(f"extracting {tarball} failed: {exc}") from None


def _check_member(member, dest: Path) -> None:
    """Refuse a tar member that would land, or link, outside ``dest``, or is a device."""
    root = dest.resolve()
    target = (root / member.name).resolve()
    if not target.is_relative_to(root):
        raise HarnessError(f"tarball member {member.name!r} would be written outside {dest}")
    if member.issym() or member.islnk():
        link_base = target.parent if member.issym() else root
        if not (link_base / member.linkname).resolve().is_relative_to(root):
            raise HarnessError(f"tarball member {member.name!r} links outside {dest}")
    if member.isdev():
        raise HarnessError(f"tarball member {member.name!r} is a device file")
