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
import json
import os
import pickle
import re
import socket
import sys
import tempfile
import time
import zlib
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
# Files that operating systems leave in folders (macOS, Windows), never images: skipped when listing.
SYSTEM_FILES = {".ds_store", "thumbs.db", "desktop.ini"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
MAX_NAMED = 10  # how many bad or missing files a message lists before it says "and N more"
KEEP_CACHES = 2  # decoded copies kept per split, so that switching between two copies of the data is cheap


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
            f"{what} is {_described(folder, root)}, which is not a folder. Point it at a folder holding "
            f"'cifar-10-batches-py' or 'train/<class>/' and 'test/<class>/' image folders{unset}.")
    data, targets, source = _load_local(folder, split, what, expected[split])
    return CIFAR10Images(data, targets, train, transform, target_transform, source)


def data_folder(root=None) -> tuple[Path, str, bool]:
    """Which folder load_cifar10 reads (absolute), how to name it in a message, and whether it downloads there."""
    if root is not None:
        return Path(root).expanduser().absolute(), "root", False
    configured = os.environ.get("CIFAR10_DIR", "").strip()
    if configured:
        return Path(configured).expanduser().absolute(), "CIFAR10_DIR", False
    return DATA_DIR, "the workshop's data/ folder", True


def _described(folder: Path, root) -> str:
    """'/abs/path', and for a relative setting what it was and the working folder it was read from."""
    given = str(root) if root is not None else os.environ.get("CIFAR10_DIR", "").strip()
    if given and not Path(given).expanduser().is_absolute():
        return f"'{given}', which from the working folder '{Path.cwd()}' means '{folder}'"
    return f"'{folder}'"


def _holds_cifar10(folder: Path) -> bool:
    """Whether `folder` holds CIFAR-10 in either layout (complete or not: reading it will tell)."""
    return (folder / "cifar-10-batches-py").is_dir() or (folder / "train").is_dir() or (folder / "test").is_dir()


def _load_local(root: Path, split: str, what: str, expected: int):
    """Read a split from `root`, whichever of the two layouts it holds."""
    for candidate in (root / "cifar-10-batches-py", root):
        if (candidate / "batches.meta").is_file() or (candidate / "data_batch_1").is_file():
            data, targets = _read_batches(candidate, split, expected, what)
            return data, targets, "cifar-10-batches-py"
    if (root / "train").is_dir() or (root / "test").is_dir():
        data, targets = _read_class_folders(root / split, split, expected)
        return data, targets, f"{split}/<class>/ image folders"
    found = sorted(p.name for p in root.iterdir())
    if set(CLASSES) & set(found):  # the class folders of one split: one level too deep
        raise DatasetError(
            f"{what} ('{root}') holds class folders ({', '.join(c for c in CLASSES if c in found)}): it is one "
            f"split of the data set. Point it at the folder above, '{root.parent}', which should hold both "
            "'train/' and 'test/'.")
    unset = ", or unset CIFAR10_DIR to download the data set" if what == "CIFAR10_DIR" else ""
    raise DatasetError(
        f"{what} ('{root}') holds no CIFAR-10: expected 'cifar-10-batches-py' (torchvision's "
        f"download) or 'train/<class>/' and 'test/<class>/' image folders, found {found[:8] or 'nothing'}. "
        f"Check the path{unset}.")


def _download(data_dir: Path, what: str, timeout: float = 60) -> None:
    """Download CIFAR-10 (170 MB) into `data_dir` with torchvision, or say what to do offline.

    The download shows torchvision's progress bar; a connection that stays silent for `timeout`
    seconds ends it. A failed download leaves no partial archive and no folder it created.
    """
    from torchvision.datasets import CIFAR10

    shown = "the workshop's data/ folder" if data_dir == DATA_DIR else f"'{data_dir}'"
    print(f"Downloading CIFAR-10 (170 MB, once) into {shown}; set CIFAR10_DIR to use a local copy instead.",
          flush=True)
    created = not data_dir.exists()
    data_dir.mkdir(parents=True, exist_ok=True)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)  # torchvision opens its connection without a timeout of its own
    try:
        CIFAR10(root=str(data_dir), train=True, download=True)
    except Exception as error:  # no network, a proxy, a stalled connection, a broken partial download...
        (data_dir / "cifar-10-python.tar.gz").unlink(missing_ok=True)
        if created and not any(data_dir.iterdir()):
            data_dir.rmdir()
        raise DatasetError(
            f"CIFAR-10 is not in {what} and could not be downloaded "
            f"({type(error).__name__}: {error}). Connect to the internet and run the cell again, "
            "or set CIFAR10_DIR to a local copy (a folder with 'cifar-10-batches-py', or with "
            "'train/<class>/' and 'test/<class>/' image folders) and restart the kernel."
        ) from None
    finally:
        socket.setdefaulttimeout(previous)


def _read_batches(folder: Path, split: str, expected: int, what: str = "the workshop's data/ folder"):
    """Read torchvision's pickled batches: data_batch_1..5 for training, test_batch for testing."""
    names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    # A copy the learner pointed at is never to be deleted (it may be the only one); the workshop's own
    # download in data/ can simply be fetched again.
    if what == "the workshop's data/ folder":
        fix = f"Delete the folder '{folder}' and run the cell again to download CIFAR-10 again."
    else:
        fix = (f"Copy '{folder.name}' again from a complete copy, or download CIFAR-10 (unset {what} to let the "
               "workshop download it into its data/ folder).")
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise DatasetError(f"'{folder.name}' is incomplete: {', '.join(missing)} missing. {fix}")
    arrays, targets = [], []
    for name in names:
        try:
            with open(folder / name, "rb") as f:
                entry = pickle.load(f, encoding="latin1")
            arrays.append(np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
            targets.extend(entry["labels"])
        except Exception as error:
            raise DatasetError(f"'{folder.name}/{name}' is not a readable CIFAR-10 batch ({type(error).__name__}: "
                               f"{error}). {fix}") from None
    _check_counts(np.bincount(targets, minlength=len(CLASSES)), split, folder.name, expected)
    # One order for both layouts: class by class, each class in the order of the source, as the
    # image folders are read; so the same index shows the same photo whichever copy you have.
    order = np.argsort(targets, kind="stable")
    data = np.ascontiguousarray(np.concatenate(arrays)[order].transpose(0, 2, 3, 1))
    return data, [targets[i] for i in order]


def _check_counts(counts, split: str, where: str, expected: int, details=None) -> None:
    """Fail unless every class has the number of images CIFAR-10 has; `details` adds what is odd per class."""
    wrong = [f"{CLASSES[i]}: {n}" + (details[i] if details else "") for i, n in enumerate(counts) if n != expected]
    if wrong:
        raise DatasetError(
            f"'{where}' is partial: CIFAR-10's {split} split has {expected} images per class, but "
            f"found {'; '.join(wrong)}. Copy the complete data set again.")


def _named(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_NAMED])
    return shown + (f" and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else "")


def _odd_files(files: list[str], expected: int) -> str:
    """What is wrong in one class folder: files that are not images, and numbered files that are missing."""
    names = [os.path.basename(f) for f in files]
    parts = []
    unexpected = [n for n in names if Path(n).suffix.lower() not in IMAGE_SUFFIXES]
    if unexpected:
        parts.append(f"not images: {_named(unexpected)}")
    numbered = [re.fullmatch(r"(\d+)(\.\w+)", n) for n in names]
    if names and all(numbered):  # names like 0000.jpg ... 4999.jpg: say which numbers are missing
        width, suffix = len(numbered[0].group(1)), numbered[0].group(2)
        present = {int(m.group(1)) for m in numbered}
        missing = [f"{i:0{width}d}{suffix}" for i in range(expected) if i not in present]
        if missing:
            parts.append(f"missing {_named(missing)}")
    return f" ({'; '.join(parts)})" if parts else ""


def _list_images(folder: Path) -> list[os.DirEntry]:
    """The files of one class folder, sorted by name, without the files operating systems leave there."""
    entries = [e for e in os.scandir(folder) if e.is_file() and not e.name.startswith(".")
               and e.name.lower() not in SYSTEM_FILES]
    return sorted(entries, key=lambda e: e.name)


def _read_class_folders(folder: Path, split: str, expected: int):
    """Read `folder/<class>/*` image files, decoding them once and caching the arrays."""
    if not folder.is_dir():
        raise DatasetError(f"'{folder.parent}' has no '{split}/' folder: expected "
                           f"'{split}/<class>/' image folders beside each other.")
    missing = [c for c in CLASSES if not (folder / c).is_dir()]
    if missing:
        raise DatasetError(
            f"'{folder.parent.name}/{split}' is partial: the class folders {', '.join(missing)} are "
            f"missing (CIFAR-10 has {', '.join(CLASSES)}). Copy the complete data set again.")
    files, digest = [], hashlib.sha1()
    for name in CLASSES:  # one pass: list each class's files and fingerprint them
        entries = _list_images(folder / name)
        for entry in entries:  # the fingerprint names files relative to the split, so any path to them agrees
            stat = entry.stat()
            digest.update(f"{name}/{entry.name}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
        files.append([e.path for e in entries])
    counts = [len(f) for f in files]
    if any(n != expected for n in counts):
        _check_counts(counts, split, f"{folder.parent.name}/{split}", expected,
                      [_odd_files(f, expected) for f in files])
    # The fingerprint changes when any file is added, removed, replaced or touched.
    targets = [label for label, class_files in enumerate(files) for _ in class_files]
    cache = _Cache(split, digest.hexdigest()[:16])
    data = cache.read(len(targets))
    if data is None:
        data = _decode_all([path for class_files in files for path in class_files], split)
        cache.write(data)
    return data, targets


def _decode_all(paths: list[str], split: str) -> np.ndarray:
    """Decode every image file; every unusable one is named in one error, with its split and class."""
    arrays, bad = [], []
    for path in paths:
        try:
            arrays.append(_decode(path))
        except ValueError as problem:
            bad.append(f"{split}/{Path(path).parent.name}/{Path(path).name} ({problem})")
    if bad:
        raise DatasetError(f"{len(bad)} image file{'s' if len(bad) > 1 else ''} cannot be used: {_named(bad)}. "
                           f"Replace {'them' if len(bad) > 1 else 'it'} from a complete copy.")
    return np.stack(arrays)


def _decode(path: str) -> np.ndarray:
    """One image file as a 32 x 32 x 3 uint8 array; ValueError says what is wrong with it."""
    try:
        with Image.open(path) as image:
            array = np.asarray(image.convert("RGB"))
    except Exception as error:
        raise ValueError(f"not a readable image: {type(error).__name__}") from None
    if array.shape != (32, 32, 3):
        raise ValueError(f"{array.shape[1]} x {array.shape[0]} pixels, not 32 x 32")
    return array


def cache_dir() -> Path:
    """Where decoded images are cached: WORKSHOP_CACHE_DIR, else the user's cache folder."""
    configured = os.environ.get("WORKSHOP_CACHE_DIR", "").strip()
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache"
    return Path(base) / "cifar10-workshop"


_warned_folders: set[str] = set()  # cache folders already reported as unwritable in this process


class _Cache:
    """Decoded images of one split as `<split>-<key>.npy`, with `<split>-<key>.json` describing it.

    Only ever an optimisation: a cache that is missing, damaged or cannot be written costs a decode,
    never a failed load. The description holds the shape, dtype and a CRC-32 of the content; a file
    that does not match it is deleted and rebuilt. Files are written under unique temporary names and
    renamed into place, so loads running at the same time never see a half-written file.
    """

    def __init__(self, split: str, key: str):
        self.folder = cache_dir()
        self.split, self.key = split, key
        self.array = self.folder / f"{split}-{key}.npy"
        self.about = self.folder / f"{split}-{key}.json"

    def read(self, count: int) -> np.ndarray | None:
        """The cached array, or None when there is none or it is damaged (then it is deleted)."""
        if not self.about.is_file() and not self.array.is_file():
            return None
        try:
            about = json.loads(self.about.read_text(encoding="utf-8"))
            data = np.load(self.array, allow_pickle=False)
            expected = (count, 32, 32, 3)
            if data.shape != expected or data.dtype != np.uint8:
                raise ValueError(f"shape {data.shape} {data.dtype}, expected {expected} uint8")
            if tuple(about["shape"]) != expected or about["crc32"] != zlib.crc32(memoryview(data).cast("B")):
                raise ValueError("its content does not match its checksum")
            return data
        except Exception as problem:  # a missing half, a truncated or garbled file, changed bytes...
            print(f"The cache of decoded {self.split} images in '{self.folder}' was damaged "
                  f"({type(problem).__name__}: {problem}); deleting it and decoding the images again.",
                  file=sys.stderr, flush=True)
            self._remove(self.array, self.about)
            return None

    def write(self, data: np.ndarray) -> None:
        """Save `data`; if that fails, say so once per folder and carry on without a cache."""
        temporary = []
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            checksum = zlib.crc32(memoryview(data).cast("B"))
            about = {"shape": list(data.shape), "dtype": str(data.dtype), "crc32": checksum}
            for final, write in ((self.array, lambda f: np.save(f, data)),
                                 (self.about, lambda f: f.write(json.dumps(about).encode()))):
                with tempfile.NamedTemporaryFile(dir=self.folder, prefix=f".{final.name}.", suffix=".partial",
                                                 delete=False) as f:
                    temporary.append(Path(f.name))
                    write(f)
            for final, partial in zip((self.array, self.about), temporary, strict=True):
                os.replace(partial, final)  # atomic: a reader sees the old file or the whole new one
            self._keep_newest()
        except OSError as error:
            self._remove(*temporary)
            if str(self.folder) not in _warned_folders:
                _warned_folders.add(str(self.folder))
                print(f"Could not save decoded images to the cache folder '{self.folder}' ({error.strerror or error}). "
                      "The data loaded all the same, but will be decoded again next time. To keep a cache, set "
                      "WORKSHOP_CACHE_DIR to a folder you can write to, then restart the kernel.",
                      file=sys.stderr, flush=True)

    def _keep_newest(self) -> None:
        """Delete all but the KEEP_CACHES newest caches of this split, and leftovers over an hour old.

        Leftovers: arrays without a description (an older version of the workshop wrote those) and
        temporary files of a load that was killed while writing.
        """
        described = sorted(self.folder.glob(f"{self.split}-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for about in described[KEEP_CACHES:]:
            self._remove(about.with_suffix(".npy"), about)
        hour_ago = time.time() - 3600
        leftovers = [p for p in self.folder.glob(f"{self.split}-*.npy") if not p.with_suffix(".json").exists()]
        leftovers += list(self.folder.glob(f".{self.split}-*.partial"))
        self._remove(*[p for p in leftovers if p.stat().st_mtime < hour_ago])

    @staticmethod
    def _remove(*paths: Path) -> None:
        for path in paths:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass
