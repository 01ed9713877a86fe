"""Faults a new or careless user runs into with the data and its cache: each ends in a correct load or a clear message.

Every test here reproduces one fault found by injecting it on purpose (see issue "Trustworthy data, cache,
checkpoints and tests"); before the fix each of them failed.
"""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import zlib

import numpy as np
import pytest
from PIL import Image
from test_data import isolated, load, use, write_batches, write_class_folders  # noqa: F401  (isolated: autouse)

import cifar10_data
import workshop


def truth(root, train=True):
    """The decoded images, read with a cache of their own."""
    split = "train" if train else "test"
    paths = [str(p) for c in workshop.CLASSES for p in sorted((root / split / c).iterdir())]
    return cifar10_data._decode_all(paths, split)


def cache_files(tmp_path, pattern="*"):
    return sorted(p.name for p in (tmp_path / "cache").glob(pattern))


# The decode cache ------------------------------------------------------------------

LOADER = """
import sys, zlib
import workshop
data = workshop.load_cifar10(train=True, root=sys.argv[1], expected_per_class={"train": 40, "test": 2}).data
print(zlib.crc32(data.tobytes()))
"""


def test_loads_running_at_once_on_a_fresh_cache_all_get_the_true_images(tmp_path):
    root = write_class_folders(tmp_path / "jpeg", per_class={"train": 40, "test": 2})  # 400 images to decode
    expected = str(zlib.crc32(truth(root).tobytes()))
    env = {**os.environ, "WORKSHOP_CACHE_DIR": str(tmp_path / "cache")}
    loads = [subprocess.Popen([sys.executable, "-c", LOADER, str(root)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(6)]
    results = [p.communicate(timeout=120) for p in loads]
    assert all(p.returncode == 0 for p in loads), [err for _, err in results]
    assert [out.strip() for out, _ in results] == [expected] * 6
    cached = workshop.load_cifar10(root=root, expected_per_class={"train": 40, "test": 2}).data
    assert np.array_equal(cached, truth(root)), "and the cache they left is right"
    assert not cache_files(tmp_path, ".*partial"), "no temporary file is left behind"


def test_a_cache_cut_short_by_a_killed_writer_is_not_accepted(tmp_path, capsys):
    root = write_class_folders(tmp_path / "jpeg")
    load(root=root)
    [array] = (tmp_path / "cache").glob("train-*.npy")
    whole = array.read_bytes()
    array.write_bytes(whole[: len(whole) // 2] + bytes(len(whole) - len(whole) // 2))  # full size, half black
    assert np.array_equal(load(root=root).data, truth(root))
    assert "was damaged" in capsys.readouterr().err


@pytest.mark.parametrize("damage", ["truncated", "empty", "garbled", "zeroed inside"])
def test_a_damaged_cache_is_reported_in_one_line_deleted_and_rebuilt(tmp_path, capsys, damage):
    root = write_class_folders(tmp_path / "jpeg")
    load(root=root)
    [array] = (tmp_path / "cache").glob("train-*.npy")
    whole = array.read_bytes()
    array.write_bytes({"truncated": whole[:200], "empty": b"", "garbled": os.urandom(len(whole)),
                       "zeroed inside": whole[:128] + bytes(len(whole) - 128)}[damage])
    assert np.array_equal(load(root=root).data, truth(root))
    message = capsys.readouterr().err.strip()
    assert len(message.splitlines()) == 1 and "was damaged" in message and str(tmp_path / "cache") in message
    load(root=root)
    assert capsys.readouterr().err == "", "rebuilt: the next load finds a good cache"


def test_an_unwritable_cache_folder_warns_once_and_the_load_succeeds(monkeypatch, tmp_path, capsys):
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path / "a-file" / "cache"))  # cannot be created, even as root
    root = write_class_folders(tmp_path / "jpeg")
    assert np.array_equal(load(root=root).data, truth(root))
    message = capsys.readouterr().err
    assert "Could not save decoded images" in message and "WORKSHOP_CACHE_DIR" in message
    assert str(tmp_path / "a-file" / "cache") in message
    load(root=root)
    load(train=False, root=root)
    assert capsys.readouterr().err == "", "said once, not at every load"


def test_a_full_disk_leaves_no_partial_file_and_the_load_succeeds(monkeypatch, tmp_path, capsys):
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", disk_full)
    root = write_class_folders(tmp_path / "jpeg")
    assert np.array_equal(load(root=root).data, truth(root))
    assert "No space left on device" in capsys.readouterr().err
    assert cache_files(tmp_path, ".*") == [] and cache_files(tmp_path) == []


def test_the_cache_key_depends_on_the_data_not_on_the_path_to_it(monkeypatch, tmp_path):
    root = write_class_folders(tmp_path / "jpeg")
    load(root=root)
    (tmp_path / "link").symlink_to(root)
    copy = shutil.copytree(root, tmp_path / "second-checkout" / "jpeg", copy_function=shutil.copy2)  # times kept

    def no_decoding(path):
        raise AssertionError("decoded again although the same data was cached")

    monkeypatch.setattr(cifar10_data, "_decode", no_decoding)
    assert np.array_equal(load(root=tmp_path / "link").data, load(root=copy).data)
    assert len(cache_files(tmp_path, "train-*.npy")) == 1


# Finding the data ------------------------------------------------------------------

def test_files_that_operating_systems_leave_in_folders_are_ignored(tmp_path):
    root = write_class_folders(tmp_path / "jpeg")
    for junk in (".DS_Store", "Thumbs.db", "desktop.ini", "._0001.jpg"):
        (root / "train" / "cat" / junk).write_bytes(b"\x00junk")
    assert len(load(root=root)) == 30


def test_a_wrong_count_names_the_files_that_are_missing_or_not_images(tmp_path):
    root = write_class_folders(tmp_path / "jpeg")
    (root / "train" / "dog" / "0001.jpg").unlink()
    (root / "train" / "cat" / "notes.txt").write_text("my notes")
    with pytest.raises(workshop.DatasetError) as error:
        load(root=root)
    assert "cat: 4 (not images: notes.txt)" in str(error.value)
    assert "dog: 2 (missing 0001.jpg)" in str(error.value)


def test_a_relative_cifar10_dir_is_shown_as_the_absolute_path_tried_from_the_working_folder(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    use(monkeypatch, "cifar10")
    with pytest.raises(workshop.DatasetError) as error:
        load()
    assert f"'cifar10', which from the working folder '{tmp_path}' means '{tmp_path / 'cifar10'}'" in str(error.value)
    write_class_folders(tmp_path / "cifar10")
    assert len(load()) == 30, "a relative path that exists is read from the working folder"


@pytest.mark.parametrize("split", ["train", "test"])
def test_cifar10_dir_at_one_split_suggests_the_folder_above(monkeypatch, tmp_path, split):
    root = write_class_folders(tmp_path / "jpeg")
    use(monkeypatch, root / split)
    with pytest.raises(workshop.DatasetError, match=f"one split of the data set. Point it at the folder above, '{root}'"
                       ):
        load()


def test_every_bad_image_is_named_with_its_split_in_one_message(tmp_path):
    root = write_class_folders(tmp_path / "jpeg")
    (root / "test" / "dog" / "0000.jpg").write_bytes(b"not a jpeg")
    (root / "test" / "ship" / "0001.jpg").write_bytes(b"")
    Image.new("RGB", (64, 48)).save(root / "test" / "truck" / "0001.jpg")
    with pytest.raises(workshop.DatasetError) as error:
        load(train=False, root=root)
    message = str(error.value)
    assert message.startswith("3 image files cannot be used")
    for name in ("test/dog/0000.jpg", "test/ship/0001.jpg", "test/truck/0001.jpg (64 x 48 pixels"):
        assert name in message


@pytest.mark.parametrize("damage", ["missing", "garbled"])
def test_a_damaged_local_copy_is_never_to_be_deleted(monkeypatch, tmp_path, damage):
    root = write_batches(tmp_path / "copy")
    batch = root / "cifar-10-batches-py" / "test_batch"
    batch.unlink() if damage == "missing" else batch.write_bytes(b"truncated")
    use(monkeypatch, root)
    with pytest.raises(workshop.DatasetError) as error:
        load(train=False)
    assert "delete" not in str(error.value).lower() and "Copy 'cifar-10-batches-py' again" in str(error.value)


@pytest.fixture
def silent_server():
    """A server on the loopback address that accepts connections and never answers, like a stalled proxy."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    accepted, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/cifar-10-python.tar.gz"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def test_a_stalled_download_says_what_it_fetches_then_times_out_clearly_and_leaves_no_folder(
        monkeypatch, tmp_path, capsys, silent_server):
    import torchvision

    monkeypatch.setattr(torchvision.datasets.CIFAR10, "url", silent_server)
    started = time.perf_counter()
    with pytest.raises(workshop.DatasetError, match="could not be downloaded.*set CIFAR10_DIR"):
        cifar10_data._download(tmp_path / "data", "the workshop's data/ folder", timeout=1)
    assert time.perf_counter() - started < 30
    assert "Downloading CIFAR-10 (170 MB, once)" in capsys.readouterr().out
    assert not (tmp_path / "data").exists(), "a failed download leaves no empty data/ folder behind"

