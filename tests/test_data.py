"""Loading CIFAR-10: both layouts, the cache, and a clear message for every kind of bad input."""

import os
import pickle
import urllib.error

import numpy as np
import pytest
import torch
from PIL import Image

import cifar10_data
import workshop

REAL_CIFAR10_DIR = os.environ.get("CIFAR10_DIR", "")  # read before the fixtures below unset it
SMALL = {"train": 3, "test": 2}  # images per class in the small copies these tests write


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """Every test gets its own cache folder, and no CIFAR10_DIR unless it sets one."""
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CIFAR10_DIR", raising=False)
    cifar10_data._warned_folders.clear()  # each test may meet an unwritable cache folder afresh


def load(train=True, **options):
    """load_cifar10 expecting the small copies' counts."""
    return workshop.load_cifar10(train=train, expected_per_class=SMALL, **options)


def pixel(class_index: int, image_index: int) -> np.ndarray:
    """A flat-coloured 32 x 32 image whose colour encodes where it belongs (JPEG keeps flat colours)."""
    return np.full((32, 32, 3), (class_index * 25, image_index * 40, 128), dtype=np.uint8)


def write_class_folders(root, classes=workshop.CLASSES, per_class=SMALL):
    for split, count in per_class.items():
        for c, name in enumerate(workshop.CLASSES):
            if name not in classes:
                continue
            (root / split / name).mkdir(parents=True, exist_ok=True)
            for i in range(count):
                Image.fromarray(pixel(c, i)).save(root / split / name / f"{i:04d}.jpg", quality=95)
    return root


def write_batches(root, per_class=SMALL, skip=()):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    names = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
    for split, count in per_class.items():
        labels = np.repeat(np.arange(10), count)
        images = np.stack([pixel(label, i % count) for i, label in enumerate(labels)])
        for part, name in zip(np.array_split(np.arange(len(labels)), len(names[split])), names[split], strict=True):
            if name in skip:
                continue
            entry = {"data": images[part].transpose(0, 3, 1, 2).reshape(len(part), -1), "labels": labels[part].tolist()}
            with open(folder / name, "wb") as f:
                pickle.dump(entry, f)
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": list(workshop.CLASSES)}))
    return root


def use(monkeypatch, path):
    monkeypatch.setenv("CIFAR10_DIR", str(path))


# The two layouts ------------------------------------------------------------

def test_class_folders_load_with_official_label_order(monkeypatch, tmp_path):
    use(monkeypatch, write_class_folders(tmp_path / "jpeg"))
    train = load(train=True)
    assert len(train) == 30 and train.data.shape == (30, 32, 32, 3) and train.data.dtype == np.uint8
    assert train.targets == [c for c in range(10) for _ in range(3)]
    assert train.classes == list(workshop.CLASSES) and train.class_to_idx["cat"] == 3
    assert abs(int(train.data[7, 0, 0, 0]) - 2 * 25) <= 3  # JPEG changes pixel values a little
    image, label = train[7]
    assert isinstance(image, Image.Image) and image.size == (32, 32) and label == 2
    assert len(load(train=False)) == 20


def test_batches_layout_loads_with_transform(monkeypatch, tmp_path):
    use(monkeypatch, write_batches(tmp_path / "copy"))
    test = load(train=False, transform=lambda im: torch.tensor(np.asarray(im)))
    assert test.data.shape == (20, 32, 32, 3) and test.targets[-1] == 9
    image, label = test[5]
    assert torch.equal(image, torch.from_numpy(pixel(2, 1))) and label == 2


def test_batches_folder_itself_may_be_named(monkeypatch, tmp_path):
    use(monkeypatch, write_batches(tmp_path / "copy") / "cifar-10-batches-py")
    assert len(load(train=True)) == 30


def test_data_folder_is_used_when_neither_root_nor_cifar10_dir_is_given(monkeypatch, tmp_path):
    assert cifar10_data.data_folder() == (cifar10_data.REPO_ROOT / "data", "the workshop's data/ folder", True)
    use(monkeypatch, tmp_path / "elsewhere")
    assert cifar10_data.data_folder() == (tmp_path / "elsewhere", "CIFAR10_DIR", False)
    assert cifar10_data.data_folder(tmp_path / "mine") == (tmp_path / "mine", "root", False), "root= comes first"


def test_root_is_read_without_cifar10_dir(tmp_path):
    assert len(load(train=False, root=write_batches(tmp_path / "copy"))) == 20


def test_root_wins_over_cifar10_dir(monkeypatch, tmp_path):
    use(monkeypatch, tmp_path / "nowhere")
    assert len(load(train=False, root=write_class_folders(tmp_path / "jpeg"))) == 20


def test_a_downloaded_folder_is_not_downloaded_again(monkeypatch, tmp_path):
    def no_download(*args, **kwargs):
        raise AssertionError("downloaded although the folder holds CIFAR-10")

    monkeypatch.setattr("torchvision.datasets.CIFAR10", no_download)
    assert len(load(train=False, root=write_batches(tmp_path / "data"), download=True)) == 20


# The cache ------------------------------------------------------------------

def test_second_load_comes_from_the_cache(monkeypatch, tmp_path):
    use(monkeypatch, write_class_folders(tmp_path / "jpeg"))
    first = load(train=True).data
    assert len(list((tmp_path / "cache").glob("train-*.npy"))) == 1

    def no_decoding(path):
        raise AssertionError("decoded an image although the cache was valid")

    monkeypatch.setattr(cifar10_data, "_decode", no_decoding)
    assert np.array_equal(load(train=True).data, first)


def test_cache_is_rebuilt_when_a_file_changes(monkeypatch, tmp_path):
    root = write_class_folders(tmp_path / "jpeg")
    use(monkeypatch, root)
    assert load(train=True).data[0].mean() < 100
    Image.fromarray(np.full((32, 32, 3), 250, np.uint8)).save(root / "train" / "airplane" / "0000.jpg")
    os.utime(root / "train" / "airplane" / "0000.jpg", ns=(1, 1))  # even with an old time stamp
    assert load(train=True).data[0].mean() > 240
    Image.fromarray(np.full((32, 32, 3), 9, np.uint8)).save(root / "train" / "airplane" / "0000.jpg")
    assert load(train=True).data[0].mean() < 20
    assert len(list((tmp_path / "cache").glob("train-*.npy"))) == 2  # the two newest copies; the oldest is gone


def test_cache_lives_outside_the_data_folder(monkeypatch, tmp_path):
    use(monkeypatch, write_class_folders(tmp_path / "jpeg"))
    load(train=False)
    assert not list((tmp_path / "jpeg").rglob("*.npy"))


# Bad input: a clear message that says what to do -----------------------------

def test_cifar10_dir_that_does_not_exist(monkeypatch, tmp_path):
    use(monkeypatch, tmp_path / "nowhere")
    with pytest.raises(workshop.DatasetError, match="not a folder.*Point it at"):
        load()


def test_cifar10_dir_that_is_empty(monkeypatch, tmp_path):
    (tmp_path / "empty").mkdir()
    use(monkeypatch, tmp_path / "empty")
    with pytest.raises(workshop.DatasetError, match="holds no CIFAR-10.*found nothing"):
        load()


def test_cifar10_dir_with_something_else(monkeypatch, tmp_path):
    (tmp_path / "photos" / "holiday").mkdir(parents=True)
    use(monkeypatch, tmp_path / "photos")
    with pytest.raises(workshop.DatasetError, match=r"found \['holiday'\]"):
        load()


def test_missing_class_folders_are_named(monkeypatch, tmp_path):
    use(monkeypatch, write_class_folders(tmp_path / "jpeg", classes=workshop.CLASSES[:8]))
    with pytest.raises(workshop.DatasetError, match="ship, truck are missing"):
        load()


def test_missing_split_folder(monkeypatch, tmp_path):
    use(monkeypatch, write_class_folders(tmp_path / "jpeg", per_class={"train": 3}))
    assert len(load(train=True)) == 30
    with pytest.raises(workshop.DatasetError, match="no 'test/' folder"):
        load(train=False)


def test_wrong_counts_are_reported_per_class(monkeypatch, tmp_path):
    root = write_class_folders(tmp_path / "jpeg")
    (root / "train" / "dog" / "0001.jpg").unlink()
    use(monkeypatch, root)
    with pytest.raises(workshop.DatasetError, match="partial.*3 images per class.*dog: 2"):
        load()


def test_corrupt_image_is_named(monkeypatch, tmp_path):
    root = write_class_folders(tmp_path / "jpeg")
    (root / "train" / "frog" / "0002.jpg").write_bytes(b"not a jpeg")
    use(monkeypatch, root)
    with pytest.raises(workshop.DatasetError, match=r"cannot be used: train/frog/0002.jpg \(not a readable"):
        load()


def test_image_of_the_wrong_size_is_named(monkeypatch, tmp_path):
    root = write_class_folders(tmp_path / "jpeg")
    Image.new("RGB", (64, 48)).save(root / "test" / "ship" / "0001.jpg")
    use(monkeypatch, root)
    with pytest.raises(workshop.DatasetError, match="test/ship/0001.jpg \\(64 x 48 pixels, not 32 x 32\\)"):
        load(train=False)


def test_incomplete_batches_folder(monkeypatch, tmp_path):
    use(monkeypatch, write_batches(tmp_path / "copy", skip=("data_batch_4",)))
    with pytest.raises(workshop.DatasetError, match="incomplete: data_batch_4 missing"):
        load(train=True)


def test_corrupt_batch_file(monkeypatch, tmp_path):
    root = write_batches(tmp_path / "copy")
    (root / "cifar-10-batches-py" / "test_batch").write_bytes(b"truncated")
    use(monkeypatch, root)
    with pytest.raises(workshop.DatasetError, match="test_batch' is not a readable CIFAR-10 batch"):
        load(train=False)


def test_no_internet_and_no_local_copy(monkeypatch, tmp_path):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr("torchvision.datasets.CIFAR10", offline)
    with pytest.raises(workshop.DatasetError, match="could not be downloaded.*URLError.*set CIFAR10_DIR"):
        load(root=tmp_path / "data", download=True)


# The real data set, where CI and the workshop point at it ------------------------

@pytest.fixture
def real_cifar10(monkeypatch):
    """The folder of the real data set; decoded images shared with the notebooks' cache."""
    monkeypatch.delenv("WORKSHOP_CACHE_DIR")
    if REAL_CIFAR10_DIR:
        return REAL_CIFAR10_DIR
    if not (cifar10_data.DATA_DIR / "cifar-10-batches-py").is_dir():
        pytest.skip("no local CIFAR-10: set CIFAR10_DIR (as .ci/run does)")
    return cifar10_data.DATA_DIR


def test_real_cifar10(real_cifar10):
    train, test = workshop.load_cifar10(True, root=real_cifar10), workshop.load_cifar10(False, root=real_cifar10)
    assert train.data.shape == (50000, 32, 32, 3) and test.data.shape == (10000, 32, 32, 3)
    assert np.bincount(train.targets).tolist() == [5000] * 10
    mean = train.data.reshape(-1, 3).mean(axis=0) / 255
    assert np.allclose(mean, [0.4914, 0.4822, 0.4465], atol=0.002)  # CIFAR-10's well-known channel means


def test_both_layouts_give_one_order_class_by_class_each_class_in_its_source_order(tmp_path):
    folder = write_batches(tmp_path / "copy") / "cifar-10-batches-py"
    shuffled = np.random.default_rng(0).permutation(30)  # interleave the classes of the training batches
    names = [f"data_batch_{i}" for i in range(1, 6)]
    entries = [pickle.loads((folder / n).read_bytes()) for n in names]
    rows = np.concatenate([e["data"] for e in entries])[shuffled]
    labels = np.concatenate([e["labels"] for e in entries])[shuffled]
    for part, name in zip(np.array_split(np.arange(30), 5), names, strict=True):
        (folder / name).write_bytes(pickle.dumps({"data": rows[part], "labels": labels[part].tolist()}))
    train = load(root=folder.parent)
    assert train.targets == [c for c in range(10) for _ in range(3)]
    source_order = [[i for i in shuffled if i // 3 == c] for c in range(10)]  # original index i: class i // 3
    assert [int(train.data[k, 0, 0, 1]) // 40 for k in range(30)] == [i % 3 for c in source_order for i in c]
