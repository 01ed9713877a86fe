"""CIFAR-10 for the workshop: where it is, reading both layouts, the decode cache, the download.

Hand-written infrastructure: the notebooks use it (through `workshop`) but do not teach it
line by line. Notebook 02 explains what `load_cifar10` returns and how to point it at a copy.

Where the data comes from, in this order:
1. `root=`, when a caller names a folder;
2. the environment variable CIFAR10_DIR, a local copy (how the workshop runs offline);
3. `data/` at the top of the repository, downloaded there once with torchvision.
Either layout works: torchvision's `cifar-10-batches-py`, or one image file per photo in
`train/<class>/` and `test/<class>/`. Image files are decoded once and cached as arrays.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

import numpy as np
import torch
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
           "dog", "frog", "horse", "ship", "truck")
# How many images each split holds: 5,000 per class for training, 1,000 for testing.
EXPECTED_PER_CLASS = {"train": 5000, "test": 1000}


class DatasetError(RuntimeError):
    """CIFAR-10 could not be found or read; the message says what to do."""


class CIFAR10Images(torch.utils.data.Dataset):
    """CIFAR-10 with the interface of torchvision.datasets.CIFAR10.

    `data` is a uint8 array N x 32 x 32 x 3, `targets` a list of ints, and each item is
    `(PIL image, label)` after `transform` and `target_transform`. It is defined in this
    module, not in a notebook, so that DataLoader workers started with "spawn" (Windows,
    macOS) can import it.
    """

    def __init__(self, data: np.ndarray, targets, train: bool,
                 transform=None, target_transform=None, source: str = ""):
        self.data = data
        self.targets = [int(t) for t in targets]
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        self.classes = list(CLASSES)
        self.class_to_idx = {name: i for i, name in enumerate(CLASSES)}
        self.source = source

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int):
        image, label = Image.fromarray(self.data[index]), self.targets[index]
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"CIFAR10Images({split}, {len(self)} images, from {self.source})"


def load_cifar10(train: bool = True, transform=None, target_transform=None, *, root=None, download=None,
                 expected_per_class: dict[str, int] | None = None) -> CIFAR10Images:
    """The CIFAR-10 training or test set, from `root`, else CIFAR10_DIR, else the workshop's data/ folder.

    `root` and CIFAR10_DIR name a local copy, in either layout, which is read as it is; `data/` at
    the top of the repository is filled by a download the first time. `download=True` or `False`
    overrides that choice for any folder. `expected_per_class` ({"train": 5000, "test": 1000}
    unless given) is how many images every class must have; tests that write small copies lower it.
    """
    split = "train" if train else "test"
    expected = EXPECTED_PER_CLASS if expected_per_class is None else expected_per_class
    folder, what, default_download = data_folder(root)
    if download if download is not None else default_download:
        if not _holds_cifar10(folder):
            _download(folder, what)
    elif not folder.is_dir():
        unset = ", or unset it to download CIFAR-10 into the workshop's data/ folder" if what == "CIFAR10_DIR" else ""
        raise DatasetError(
            f"{what} is set to '{folder}', which is not a folder. Point it at a folder holding "
            f"'cifar-10-batches-py' or 'train/<class>/' and 'test/<class>/' image folders{unset}.")
    data, targets, source = _load_local(folder, split, what, expected[split])
    return CIFAR10Images(data, targets, train, transform, target_transform, source)


def data_folder(root=None) -> tuple[Path, str, bool]:
    """Which folder load_cifar10 reads, how to name it in a message, and whether it downloads there by default."""
    if root is not None:
        return Path(root).expanduser(), "root", False
    configured = os.environ.get("CIFAR10_DIR", "").strip()
    if configured:
        return Path(configured).expanduser(), "CIFAR10_DIR", False
    return DATA_DIR, "the workshop's data/ folder", True


def _holds_cifar10(folder: Path) -> bool:
    """Whether `folder` holds CIFAR-10 in either layout (complete or not: reading it will tell)."""
    return (folder / "cifar-10-batches-py").is_dir() or (folder / "train").is_dir() or (folder / "test").is_dir()


def _load_local(root: Path, split: str, what: str, expected: int):
    """Read a split from `root`, whichever of the two layouts it holds."""
    for candidate in (root / "cifar-10-batches-py", root):
        if (candidate / "batches.meta").is_file() or (candidate / "data_batch_1").is_file():
            data, targets = _read_batches(candidate, split, expected)
            return data, targets, "cifar-10-batches-py"
    if (root / "train").is_dir() or (root / "test").is_dir():
        data, targets = _read_class_folders(root / split, split, expected)
        return data, targets, f"{split}/<class>/ image folders"
    found = sorted(p.name for p in root.iterdir())[:8]
    unset = ", or unset CIFAR10_DIR to download the data set" if what == "CIFAR10_DIR" else ""
    raise DatasetError(
        f"{what} ('{root}') holds no CIFAR-10: expected 'cifar-10-batches-py' (torchvision's "
        f"download) or 'train/<class>/' and 'test/<class>/' image folders, found {found or 'nothing'}. "
        f"Check the path{unset}.")


def _download(data_dir: Path, what: str) -> None:
    """Download CIFAR-10 (170 MB) into `data_dir` with torchvision, or say what to do offline."""
    from torchvision.datasets import CIFAR10

    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        CIFAR10(root=str(data_dir), train=True, download=True)
    except Exception as error:  # no network, a proxy, a broken partial download...
        raise DatasetError(
            f"CIFAR-10 is not in {what} and could not be downloaded "
            f"({type(error).__name__}: {error}). Connect to the internet and run the cell again, "
            "or set CIFAR10_DIR to a local copy (a folder with 'cifar-10-batches-py', or with "
            "'train/<class>/' and 'test/<class>/' image folders) and restart the kernel."
        ) from None


def _read_batches(folder: Path, split: str, expected: int):
    """Read torchvision's pickled batches: data_batch_1..5 for training, test_batch for testing."""
    names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise DatasetError(
            f"'{folder.name}' is incomplete: {', '.join(missing)} missing. Delete the folder and "
            "download CIFAR-10 again (or point CIFAR10_DIR at a complete copy).")
    arrays, targets = [], []
    for name in names:
        try:
            with open(folder / name, "rb") as f:
                entry = pickle.load(f, encoding="latin1")
            arrays.append(np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
            targets.extend(entry["labels"])
        except Exception as error:
            raise DatasetError(
                f"'{folder.name}/{name}' is not a readable CIFAR-10 batch ({type(error).__name__}: "
                f"{error}). Delete '{folder.name}' and download CIFAR-10 again.") from None
    data = np.ascontiguousarray(np.concatenate(arrays).transpose(0, 2, 3, 1))
    _check_counts(np.bincount(targets, minlength=len(CLASSES)), split, folder.name, expected)
    return data, targets


def _check_counts(counts, split: str, where: str, expected: int) -> None:
    """Fail unless every class has the number of images CIFAR-10 has."""
    wrong = [f"{CLASSES[i]}: {n}" for i, n in enumerate(counts) if n != expected]
    if wrong:
        raise DatasetError(
            f"'{where}' is partial: CIFAR-10's {split} split has {expected} images per class, but "
            f"found {', '.join(wrong)}. Copy the complete data set again.")


def _read_class_folders(folder: Path, split: str, expected: int):
    """Read `folder/<class>/*` image files, decoding them once and caching the arrays."""
    if not folder.is_dir():
        raise DatasetError(f"'{folder.parent.name}' has no '{split}/' folder: expected "
                           f"'{split}/<class>/' image folders beside each other.")
    missing = [c for c in CLASSES if not (folder / c).is_dir()]
    if missing:
        raise DatasetError(
            f"'{folder.parent.name}/{split}' is partial: the class folders {', '.join(missing)} are "
            f"missing (CIFAR-10 has {', '.join(CLASSES)}). Copy the complete data set again.")
    files, digest = [], hashlib.sha1()
    for name in CLASSES:  # one pass: list each class's files and fingerprint them
        entries = sorted((e for e in os.scandir(folder / name) if e.is_file()), key=lambda e: e.name)
        for entry in entries:
            stat = entry.stat()
            digest.update(f"{entry.path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
        files.append([e.path for e in entries])
    _check_counts([len(f) for f in files], split, f"{folder.parent.name}/{split}", expected)
    # The fingerprint changes when any file is added, removed, replaced or touched.
    targets = [label for label, class_files in enumerate(files) for _ in class_files]
    cache = cache_dir() / f"{split}-{digest.hexdigest()[:16]}.npy"
    if cache.is_file():
        return np.load(cache), targets
    data = np.stack([_decode(path) for class_files in files for path in class_files])
    cache.parent.mkdir(parents=True, exist_ok=True)
    for old in cache.parent.glob(f"{split}-*.npy"):  # a cache of an older copy is of no use
        old.unlink()
    partial = cache.with_name(cache.name + ".partial")
    with open(partial, "wb") as f:
        np.save(f, data)
    partial.replace(cache)  # only a complete file ever has the cache's name
    return data, targets


def _decode(path: str) -> np.ndarray:
    """One image file as a 32 x 32 x 3 uint8 array, or an error naming the file."""
    name = os.path.join(os.path.basename(os.path.dirname(path)), os.path.basename(path))
    try:
        with Image.open(path) as image:
            array = np.asarray(image.convert("RGB"))
    except Exception as error:
        raise DatasetError(f"'{name}' is not a readable image "
                           f"({type(error).__name__}). Replace it from a complete copy.") from None
    if array.shape != (32, 32, 3):
        raise DatasetError(f"'{name}' is {array.shape[1]} x {array.shape[0]} "
                           "pixels; CIFAR-10 images are 32 x 32. Replace it from a complete copy.")
    return array


def cache_dir() -> Path:
    """Where decoded images are cached: WORKSHOP_CACHE_DIR, else the user's cache folder."""
    configured = os.environ.get("WORKSHOP_CACHE_DIR", "").strip()
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache"
    return Path(base) / "cifar10-workshop"
