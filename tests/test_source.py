"""Fetching and extracting the pinned source: checksums are enforced on every route."""

from __future__ import annotations

import pytest

from conftest import make_pin
from scripts import source
from scripts.errors import HarnessError


def test_verify_refuses_and_deletes_a_mismatch(tmp_path):
    bad = tmp_path / "Python-3.13.5.tar.xz"
    bad.write_bytes(b"not the release")
    with pytest.raises(source.ChecksumMismatch) as info:
        source.verify(bad, "a" * 64)
    assert "expected sha256 " + "a" * 64 in str(info.value)
    assert not bad.exists()


def test_corrupt_cached_tarball_is_deleted_and_refused(scratch_root, fake_tarball):
    pin = make_pin(fake_tarball)
    source.DOWNLOADS.mkdir()
    cached = source.DOWNLOADS / pin.tarball
    cached.write_bytes(b"truncated download")
    with pytest.raises(source.ChecksumMismatch, match="expected sha256 " + pin.sha256):
        source.ensure_tarball(pin)
    assert not cached.exists()


def test_env_tarball_is_verified_but_never_deleted(scratch_root, fake_tarball, tmp_path, monkeypatch):
    pin = make_pin(fake_tarball)
    wrong = tmp_path / "someone-elses.tar.xz"
    wrong.write_bytes(b"something else")
    monkeypatch.setenv("CPYTHON_TARBALL", str(wrong))
    with pytest.raises(source.ChecksumMismatch, match="left where it is"):
        source.ensure_tarball(pin)
    assert wrong.exists()
    monkeypatch.setenv("CPYTHON_TARBALL", str(fake_tarball))
    path = source.ensure_tarball(pin)
    assert path == source.DOWNLOADS / pin.tarball and source.sha256_of(path) == pin.sha256


def test_all_routes_failing_says_what_was_tried_and_how_to_supply(scratch_root, fake_tarball, monkeypatch):
    pin = make_pin(fake_tarball)
    monkeypatch.delenv("CPYTHON_TARBALL", raising=False)
    monkeypatch.setattr(source, "_from_debian", lambda pin, dest: (_ for _ in ()).throw(HarnessError("apt said no")))
    with pytest.raises(HarnessError) as info:
        source.ensure_tarball(pin)
    message = str(info.value)
    assert "the upstream release URL" in message and "127.0.0.1:9" in message
    assert "Debian's source package: apt said no" in message
    assert "CPYTHON_TARBALL" in message and "Supply it by hand" in message


def test_downloaded_file_with_wrong_sum_is_refused(scratch_root, fake_tarball, monkeypatch, tmp_path):
    """The URL route checks the sum too: serve a wrong file over a local HTTP server."""
    import http.server
    import threading

    (tmp_path / "served").mkdir()
    (tmp_path / "served" / "release.tar.xz").write_bytes(b"tampered")
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path / "served"), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        pin = make_pin(fake_tarball)
        pin = type(pin)(**{**pin.__dict__, "upstream_url": f"http://127.0.0.1:{server.server_port}/release.tar.xz"})
        source.DOWNLOADS.mkdir()
        with pytest.raises(source.ChecksumMismatch):
            source._from_url(pin, source.DOWNLOADS / pin.tarball)
        assert list(source.DOWNLOADS.iterdir()) == []
    finally:
        server.shutdown()


def test_extraction_recovers_from_an_interrupted_one(scratch_root, fake_tarball, monkeypatch):
    pin = make_pin(fake_tarball)
    monkeypatch.setenv("CPYTHON_TARBALL", str(fake_tarball))
    parent = source.SRC / pin.version
    (parent / ".pristine-abc123" / "Python-9.9.9").mkdir(parents=True)  # a dead extraction
    (parent / "pristine").mkdir()  # a half-made tree without configure
    tree = source.pristine_tree(pin)
    assert (tree / "configure").is_file() and (tree / "Objects" / "dictobject.c").is_file()
    assert [p.name for p in parent.iterdir()] == ["pristine"]
    assert source.pristine_tree(pin) == tree  # second call: already there


def test_machine_mirror_is_read_from_apt_sources(tmp_path):
    apt = tmp_path / "apt"
    (apt / "sources.list.d").mkdir(parents=True)
    (apt / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n\n"
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n"
    )
    assert source.machine_debian_mirror(apt) == "http://mirror.example/debian"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert source.machine_debian_mirror(empty) is None
    (empty / "sources.list").write_text("deb [arch=amd64] http://other.example/debian bookworm main\n")
    assert source.machine_debian_mirror(empty) == "http://other.example/debian"


def test_extraction_without_tar_uses_tarfile_as_on_windows(scratch_root, fake_tarball, monkeypatch):
    """Windows has no tar with xz everywhere: the same tree comes out of Python's tarfile."""
    monkeypatch.setattr(source.shutil, "which", lambda name: None)
    monkeypatch.setattr(source.subprocess, "run", lambda *a, **k: pytest.fail("tar must not be called"))
    pin = make_pin(fake_tarball)
    monkeypatch.setenv("CPYTHON_TARBALL", str(fake_tarball))
    tree = source.pristine_tree(pin)
    assert (tree / "configure").read_text().startswith("#!/bin/sh")
    assert (tree / "Objects" / "dictobject.c").read_text().count("\n") == 20


def test_a_broken_tarball_is_refused_by_tarfile_too(tmp_path, monkeypatch):
    monkeypatch.setattr(source.shutil, "which", lambda name: None)
    broken = tmp_path / "broken.tar.xz"
    broken.write_bytes(b"not an xz stream")
    with pytest.raises(HarnessError, match="extracting"):
        source._extract(broken, tmp_path / "out")


def test_without_the_data_filter_members_outside_are_refused(tmp_path, monkeypatch):
    """Python 3.11.2 (Debian 12) has no tarfile data filter: the harness checks members itself."""
    import io
    import tarfile

    monkeypatch.setattr(source.shutil, "which", lambda name: None)
    monkeypatch.delattr(tarfile, "data_filter", raising=False)
    evil = tmp_path / "evil.tar.xz"
    with tarfile.open(evil, "w:xz") as tar:
        data = b"x"
        info = tarfile.TarInfo("../escaped.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(HarnessError, match="outside"):
        source._extract(evil, tmp_path / "out")
    assert not (tmp_path / "escaped.txt").exists()
