"""Downloads against a real HTTP server on 127.0.0.1 serving small generated IDX files."""

import collections
import gzip
import http.server
import os
import socket
import threading

import numpy as np
import pytest

from course.data import DownloadError, download_file, fetch_idx, load_mnist, read_idx
from course.data import download as dl
from course.data.idx import idx_bytes

IMAGES = np.random.default_rng(0).integers(0, 256, (12, 28, 28), dtype=np.uint8)
LABELS = np.arange(12, dtype=np.uint8) % 10
CONTENT = {"train-images-idx3-ubyte": idx_bytes(IMAGES), "train-labels-idx1-ubyte": idx_bytes(LABELS)}
MD5S = {name: dl.md5_of(data) for name, data in CONTENT.items()}
FAST = {"retries": 3, "timeout": 2.0, "backoff": 0.001}


class Handler(http.server.BaseHTTPRequestHandler):
    """/<mode>/<file>.gz where mode says how to misbehave."""

    counts: collections.Counter = collections.Counter()

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        self.counts[self.path] += 1
        _, mode, name = self.path.split("/")
        raw = CONTENT.get(name.removesuffix(".gz"))
        if raw is None or mode == "missing":
            self.send_error(404)
            return
        body = gzip.compress(raw)
        if mode == "corrupt":  # valid gzip, wrong content
            body = gzip.compress(raw[:-1] + bytes([raw[-1] ^ 1]))
        elif mode == "plain":  # a mirror serving the file uncompressed
            body = raw
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "drop":  # promise everything, send half, hang up
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def clean(monkeypatch, tmp_path):
    Handler.counts.clear()
    for var in ("COURSE_DATA_DIR", "COURSE_DOWNLOAD"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))


def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/down/"


def leftovers(folder):
    return sorted(os.listdir(folder)) if folder.exists() else []


NAME = "train-images-idx3-ubyte"


def test_good_file_is_downloaded_verified_and_loads(server, tmp_path):
    dest = tmp_path / "out" / NAME
    path = download_file([f"{server}/good/{NAME}.gz"], dest, MD5S[NAME], **FAST)
    assert path == dest
    np.testing.assert_array_equal(read_idx(path), IMAGES)
    assert dl.md5_of(path.read_bytes()) == MD5S[NAME]  # stored decompressed
    assert leftovers(tmp_path / "out") == [NAME]  # no temporary files


def test_fetch_idx_uses_the_cache_after_the_first_download(server, tmp_path):
    kw = dict(mirrors=[f"{server}/good/"], md5=MD5S[NAME], **FAST)
    first = fetch_idx("mnist", NAME, **kw)
    assert first == tmp_path / "cache" / "mnist" / NAME
    again = fetch_idx("mnist", NAME, **kw)
    assert again == first and Handler.counts[f"/good/{NAME}.gz"] == 1


def test_fetch_idx_replaces_a_damaged_cached_file(server, tmp_path):
    dest = tmp_path / "cache" / "mnist" / NAME
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"half a file")
    fetch_idx("mnist", NAME, mirrors=[f"{server}/good/"], md5=MD5S[NAME], **FAST)
    np.testing.assert_array_equal(read_idx(dest), IMAGES)


def test_md5_mismatch_raises_and_leaves_nothing(server, tmp_path):
    cache = tmp_path / "cache" / "mnist"
    with pytest.raises(DownloadError) as info:
        fetch_idx("mnist", NAME, mirrors=[f"{server}/corrupt/"], md5=MD5S[NAME], **FAST)
    message = str(info.value)
    assert "md5 mismatch" in message and f"{server}/corrupt/{NAME}.gz" in message
    assert "COURSE_DATA_DIR" in message and 'size="subset"' in message
    assert leftovers(cache) == []
    assert Handler.counts[f"/corrupt/{NAME}.gz"] == 3


def test_dropped_connection_is_retried_then_fails_cleanly(server, tmp_path):
    cache = tmp_path / "cache" / "mnist"
    with pytest.raises(DownloadError) as info:
        fetch_idx("mnist", NAME, mirrors=[f"{server}/drop/"], md5=MD5S[NAME], **FAST)
    assert Handler.counts[f"/drop/{NAME}.gz"] == 3
    assert len(info.value.attempts) == 3
    assert "IncompleteRead" in str(info.value)
    assert leftovers(cache) == []


def test_first_mirror_down_second_good(server, tmp_path):
    mirrors = [closed_port_url(), f"{server}/missing/", f"{server}/good/"]
    path = fetch_idx("mnist", NAME, mirrors=mirrors, md5=MD5S[NAME], **FAST)
    np.testing.assert_array_equal(read_idx(path), IMAGES)
    assert Handler.counts[f"/missing/{NAME}.gz"] == 1  # a 404 is not retried
    assert Handler.counts[f"/good/{NAME}.gz"] == 1


def test_uncompressed_mirror_is_accepted(server):
    path = fetch_idx("mnist", NAME, mirrors=[f"{server}/plain/"], md5=MD5S[NAME], **FAST)
    np.testing.assert_array_equal(read_idx(path), IMAGES)


def test_offline_error_names_what_was_tried(tmp_path):
    down = closed_port_url()
    with pytest.raises(DownloadError) as info:
        fetch_idx("mnist", NAME, mirrors=[down], md5=MD5S[NAME], retries=2, timeout=1.0, backoff=0.001)
    assert isinstance(info.value, ConnectionError)
    assert str(info.value).count(f"{down}{NAME}.gz") == 2
    assert "COURSE_DATA_DIR" in str(info.value)


def test_interrupted_write_leaves_no_file(server, tmp_path, monkeypatch):
    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(dl.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        download_file([f"{server}/good/{NAME}.gz"], tmp_path / "out" / NAME, MD5S[NAME], **FAST)
    assert leftovers(tmp_path / "out") == []


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown data set"):
        fetch_idx("cifar", NAME)
    with pytest.raises(ValueError, match="unknown file"):
        fetch_idx("mnist", "train-images")
    with pytest.raises(ValueError, match="at least one URL"):
        download_file([], "x")
    with pytest.raises(ValueError, match="retries"):
        download_file(["http://127.0.0.1:9/x"], "x", retries=0)


def test_standard_tables_are_complete():
    for name in ("mnist", "fashion-mnist"):
        assert dl.MIRRORS[name] and all(m.startswith(("http://", "https://")) for m in dl.MIRRORS[name])
        assert sorted(dl.MD5[name]) == sorted(f for pair in dl.FILES.values() for f in pair)
    assert dl.MD5["mnist"]["train-images-idx3-ubyte"] == "6bbc9ace898e44ae57da46a324031adb"


def test_cache_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert dl.cache_root() == tmp_path / "elsewhere"
    monkeypatch.delenv("COURSE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert dl.cache_root() == tmp_path / "xdg" / "course"


# ------------------------------------------------------------------ through load_mnist

@pytest.fixture
def local_mirror(server, monkeypatch):
    """Make the standard mirror list and checksums point at the local server's small files."""
    monkeypatch.setitem(dl.MIRRORS, "mnist", (f"{server}/good/",))
    monkeypatch.setitem(dl.MD5, "mnist", {**dl.MD5["mnist"], **MD5S})


def test_load_mnist_downloads_once_then_uses_the_cache(local_mirror, tmp_path, capsys):
    first = load_mnist(size="full", download=True)
    assert first.source == f"download into cache {tmp_path / 'cache' / 'mnist'}"
    assert first.x.shape == (12, 1, 28, 28)
    np.testing.assert_allclose(first.x[:, 0].numpy(), IMAGES / 255, atol=1e-7)
    assert first.y.tolist() == LABELS.tolist()
    second = load_mnist(size="full")  # no download needed any more
    assert second.source.startswith("cache ")
    assert Handler.counts[f"/good/{NAME}.gz"] == 1
    assert "12 images, source: cache" in capsys.readouterr().out


def test_env_switch_enables_download(local_mirror, monkeypatch):
    monkeypatch.setenv("COURSE_DOWNLOAD", "1")
    assert load_mnist(size="auto", verbose=False).source.startswith("download")


def test_load_mnist_with_failing_download(server, monkeypatch):
    monkeypatch.setitem(dl.MIRRORS, "mnist", (f"{server}/missing/",))  # 404: fails fast
    with pytest.raises(FileNotFoundError, match="COURSE_DATA_DIR") as info:
        load_mnist(size="full", download=True, verbose=False)
    assert isinstance(info.value.__cause__, DownloadError)
    assert "download (failed" in str(info.value)
    with pytest.warns(UserWarning, match="shipped subset"):
        fallback = load_mnist(size="auto", download=True, verbose=False)
    assert fallback.source.startswith("shipped subset") and len(fallback) == 10_000
