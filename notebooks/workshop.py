"""What the workshop's notebooks build, in one place, so that every notebook runs on its own.

Each notebook imports the pieces that earlier notebooks taught from here, and every
function names the notebook that teaches it. Read it top to bottom: it follows the
order of the workshop.

    01_tensors          the device, quick mode
    02_dataloaders      loading CIFAR-10 (online or from a local copy), transforms, loaders
    03_cnn              the tutorial's Net and a modern network
    05_training         the training and evaluation loops, checkpoints
    06_gpu              timing and peak memory measured honestly on any device
"""

from __future__ import annotations

import hashlib
import os
import pickle
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.nn import functional as F

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
           "dog", "frog", "horse", "ship", "truck")
# How many images each split holds: 5,000 per class for training, 1,000 for testing.
EXPECTED_PER_CLASS = {"train": 5000, "test": 1000}


# ---------------------------------------------------------------------------
# 01_tensors: the device and quick mode
# ---------------------------------------------------------------------------

def pick_device() -> torch.device:
    """The fastest device present: CUDA, then Apple MPS, then the CPU (01_tensors)."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def quick_mode() -> bool:
    """True when WORKSHOP_QUICK=1 asks for a short run, as CI and dry runs do (01_tensors)."""
    return os.environ.get("WORKSHOP_QUICK", "0").strip() not in ("", "0")


def full_or_quick(full, quick):
    """`full` in a normal run, `quick` when WORKSHOP_QUICK=1 (01_tensors)."""
    return quick if quick_mode() else full


def check(answer, expected, hint: str = "") -> None:
    """Say whether an exercise's answer is right; every notebook's exercises use it (01_tensors).

    Tensors and arrays must match in shape and in value (to 1e-4), numbers to 1e-4,
    anything else must be equal. `None`, the placeholder, means "not answered yet".
    """
    if answer is None:
        print("Not answered yet: replace the None above with your answer and run the cell again.")
        return
    try:
        if isinstance(expected, (torch.Tensor, np.ndarray)):
            answer_t, expected_t = torch.as_tensor(answer), torch.as_tensor(expected)
            right = answer_t.shape == expected_t.shape and torch.allclose(
                answer_t.double().cpu(), expected_t.double().cpu(), rtol=1e-4, atol=1e-4)
        elif isinstance(expected, float):
            right = abs(float(answer) - expected) <= 1e-4 * max(1.0, abs(expected))
        else:
            right = answer == expected
    except (TypeError, ValueError, RuntimeError):
        right = False
    print("Correct!" if right else f"Not quite. {hint}".rstrip())


# ---------------------------------------------------------------------------
# 02_dataloaders: CIFAR-10 online or offline
# ---------------------------------------------------------------------------

class DatasetError(RuntimeError):
    """CIFAR-10 could not be found or read; the message says what to do (02_dataloaders)."""


class CIFAR10Images(torch.utils.data.Dataset):
    """CIFAR-10 with the interface of torchvision.datasets.CIFAR10 (02_dataloaders).

    `data` is a uint8 array N x 32 x 32 x 3, `targets` a list of ints, and each item is
    `(PIL image, label)` after `transform` and `target_transform`. It is defined here,
    not in a notebook, so that DataLoader workers started with "spawn" (Windows, macOS)
    can import it.
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


def load_cifar10(train: bool = True, transform=None, target_transform=None) -> CIFAR10Images:
    """The CIFAR-10 training or test set, from CIFAR10_DIR or the workshop's data/ (02_dataloaders).

    With the environment variable CIFAR10_DIR set, it reads that folder alone, in either
    layout: torchvision's `cifar-10-batches-py`, or class folders `train/<class>/*.jpg`.
    Otherwise it uses `data/` at the top of the repository, downloading into it once.
    """
    split = "train" if train else "test"
    data, targets, source = _load_arrays(split)
    return CIFAR10Images(data, targets, train, transform, target_transform, source)


def _load_arrays(split: str):
    """The arrays of one split and a short name for where they came from."""
    configured = os.environ.get("CIFAR10_DIR", "").strip()
    if configured:
        root = Path(configured).expanduser()
        if not root.is_dir():
            raise DatasetError(
                f"CIFAR10_DIR is set to '{configured}', which is not a folder. Point it at a "
                "folder holding 'cifar-10-batches-py' or 'train/<class>/' and 'test/<class>/' "
                "image folders, or unset it to download CIFAR-10 into the workshop's data/ folder.")
        return _load_local(root, split, what="CIFAR10_DIR")
    batches = DATA_DIR / "cifar-10-batches-py"
    if not batches.is_dir():
        _download(DATA_DIR)
    return _load_local(DATA_DIR, split, what="the workshop's data/ folder")


def _load_local(root: Path, split: str, what: str):
    """Read a split from `root`, whichever of the two layouts it holds."""
    for candidate in (root / "cifar-10-batches-py", root):
        if (candidate / "batches.meta").is_file() or (candidate / "data_batch_1").is_file():
            data, targets = _read_batches(candidate, split)
            return data, targets, "cifar-10-batches-py"
    if (root / "train").is_dir() or (root / "test").is_dir():
        data, targets = _read_class_folders(root / split, split)
        return data, targets, f"{split}/<class>/ image folders"
    found = sorted(p.name for p in root.iterdir())[:8]
    raise DatasetError(
        f"{what} ('{root}') holds no CIFAR-10: expected 'cifar-10-batches-py' (torchvision's "
        f"download) or 'train/<class>/' and 'test/<class>/' image folders, found {found or 'nothing'}. "
        "Check the path, or unset CIFAR10_DIR to download the data set.")


def _download(data_dir: Path) -> None:
    """Download CIFAR-10 (170 MB) into `data_dir` with torchvision, or say what to do offline."""
    from torchvision.datasets import CIFAR10

    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        CIFAR10(root=str(data_dir), train=True, download=True)
    except Exception as error:  # no network, a proxy, a broken partial download...
        raise DatasetError(
            "CIFAR-10 is not in the workshop's data/ folder and could not be downloaded "
            f"({type(error).__name__}: {error}). Connect to the internet and run the cell again, "
            "or set CIFAR10_DIR to a local copy (a folder with 'cifar-10-batches-py', or with "
            "'train/<class>/' and 'test/<class>/' image folders) and restart the kernel."
        ) from None


def _read_batches(folder: Path, split: str):
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
    _check_counts(np.bincount(targets, minlength=len(CLASSES)), split, folder.name)
    return data, targets


def _check_counts(counts, split: str, where: str) -> None:
    """Fail unless every class has the number of images CIFAR-10 has."""
    expected = EXPECTED_PER_CLASS[split]
    wrong = [f"{CLASSES[i]}: {n}" for i, n in enumerate(counts) if n != expected]
    if wrong:
        raise DatasetError(
            f"'{where}' is partial: CIFAR-10's {split} split has {expected} images per class, but "
            f"found {', '.join(wrong)}. Copy the complete data set again.")


def _read_class_folders(folder: Path, split: str):
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
    _check_counts([len(f) for f in files], split, f"{folder.parent.name}/{split}")
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
    """Where decoded images are cached: WORKSHOP_CACHE_DIR, else the user's cache (02_dataloaders)."""
    configured = os.environ.get("WORKSHOP_CACHE_DIR", "").strip()
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache"
    return Path(base) / "cifar10-workshop"


def channel_stats(data: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and standard deviation of uint8 images N x H x W x 3, on the 0..1 scale (02_dataloaders)."""
    channels = [data[..., c].astype(np.float64) / 255 for c in range(data.shape[-1])]
    return tuple(float(x.mean()) for x in channels), tuple(float(x.std()) for x in channels)


def train_transform(mean, std):
    """Augment (random crop with 4 pixels of padding, horizontal flip), then ToTensor and Normalize (02_dataloaders)."""
    from torchvision import transforms
    return transforms.Compose([
        transforms.RandomCrop(32, padding=4),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(mean, std),
    ])


def test_transform(mean, std):
    """ToTensor and Normalize, no augmentation: for validation and test data (02_dataloaders)."""
    from torchvision import transforms
    return transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])


def default_num_workers() -> int:
    """DataLoader worker processes that work in a notebook: 2 where workers start by "fork", else 0 (02_dataloaders).

    "fork" (Linux up to Python 3.13) copies the notebook's memory into each worker. "spawn"
    (Windows, macOS) and "forkserver" start fresh interpreters that must import everything
    they run, so anything defined in the notebook itself breaks them.
    """
    if torch.multiprocessing.get_start_method() != "fork":
        return 0
    return 2 if (os.cpu_count() or 1) >= 2 else 0


def make_loaders(batch_size: int = 64, val_size: int = 5000, seed: int = 0, num_workers: int | None = None):
    """Training (augmented, shuffled), validation and test DataLoaders, the tutorial-style path (02_dataloaders)."""
    train_set = load_cifar10(train=True)
    mean, std = channel_stats(train_set.data)
    train_set.transform = train_transform(mean, std)
    plain_train_set = load_cifar10(train=True, transform=test_transform(mean, std))
    test_set = load_cifar10(train=False, transform=test_transform(mean, std))
    generator = torch.Generator().manual_seed(seed)
    train_part, val_part = torch.utils.data.random_split(
        train_set, [len(train_set) - val_size, val_size], generator=generator)
    val_part = torch.utils.data.Subset(plain_train_set, val_part.indices)  # no augmentation
    workers = default_num_workers() if num_workers is None else num_workers
    options = dict(batch_size=batch_size, num_workers=workers, pin_memory=torch.cuda.is_available())
    return (torch.utils.data.DataLoader(train_part, shuffle=True, drop_last=True, **options),
            torch.utils.data.DataLoader(val_part, **options),
            torch.utils.data.DataLoader(test_set, **options))


def augment_batch(images: torch.Tensor, padding: int = 4) -> torch.Tensor:
    """Random crop (zero padding) and horizontal flip for a whole batch N x C x H x W at once (02_dataloaders)."""
    n, _, h, w = images.shape
    padded = F.pad(images, (padding,) * 4)
    dy = torch.randint(0, 2 * padding + 1, (n, 1), device=images.device)
    dx = torch.randint(0, 2 * padding + 1, (n, 1), device=images.device)
    rows = (dy + torch.arange(h, device=images.device))[:, None, :, None]
    cols = (dx + torch.arange(w, device=images.device))[:, None, None, :]
    batch = torch.arange(n, device=images.device)[:, None, None, None]
    channel = torch.arange(images.shape[1], device=images.device)[None, :, None, None]
    cropped = padded[batch, channel, rows, cols]
    flip = torch.rand(n, device=images.device) < 0.5
    return torch.where(flip[:, None, None, None], cropped.flip(3), cropped)


class TensorLoader:
    """A whole data set as one uint8 tensor on `device`, served in normalised, augmented batches (02_dataloaders).

    It does what DataLoader + transforms do, but for a whole batch in a few tensor
    operations instead of image by image in Python: no worker processes to start, and on
    a GPU the data never leaves the device.
    """

    def __init__(self, dataset, batch_size: int, mean, std, *, shuffle: bool = False,
                 augment: bool = False, drop_last: bool = False, device="cpu", channels_last: bool = False):
        self.images = torch.from_numpy(dataset.data).permute(0, 3, 1, 2).contiguous().to(device)
        self.labels = torch.as_tensor(dataset.targets).to(device)
        self.mean = torch.tensor(mean, device=device).view(1, -1, 1, 1) * 255
        self.std = torch.tensor(std, device=device).view(1, -1, 1, 1) * 255
        self.batch_size, self.shuffle, self.augment, self.drop_last = batch_size, shuffle, augment, drop_last
        self.channels_last = channels_last

    def __len__(self) -> int:
        n = len(self.labels)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n, device = len(self.labels), self.labels.device
        order = torch.randperm(n, device=device) if self.shuffle else torch.arange(n, device=device)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            index = order[start:start + self.batch_size]
            images = self.images[index]
            if self.augment:
                images = augment_batch(images)
            images = (images.float() - self.mean) / self.std
            if self.channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            yield images, self.labels[index]


# ---------------------------------------------------------------------------
# 03_cnn: the networks
# ---------------------------------------------------------------------------

class Net(nn.Module):
    """The PyTorch tutorial's network: 62,006 parameters (03_cnn)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def conv_block(in_channels: int, out_channels: int, global_pool: bool = False) -> nn.Sequential:
    """A 3x3 convolution, max pooling, batch normalisation and ReLU (03_cnn).

    The convolution keeps the image's size and the pooling halves it; with `global_pool`
    the pooling keeps one value per channel instead, the strongest anywhere in the image.
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.AdaptiveMaxPool2d(1) if global_pool else nn.MaxPool2d(2),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class ModernNet(nn.Module):
    """Four blocks of convolution, max pooling, batch normalisation and ReLU, then one linear layer (03_cnn).

    The blocks have 16, 64, 128 and 256 channels. The first three halve the image
    (32 -> 16 -> 8 -> 4); the last keeps, for each of its 256 channels, the strongest
    response anywhere in the image (global max pooling).
    """

    def __init__(self, widths=(16, 64, 128, 256), num_classes: int = 10):
        super().__init__()
        channels = (3, *widths)
        self.features = nn.Sequential(*[
            conv_block(channels[i], channels[i + 1], global_pool=i == len(widths) - 1)
            for i in range(len(widths))
        ])
        self.classifier = nn.Linear(widths[-1], num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


# ---------------------------------------------------------------------------
# 05_training: the loops, checkpoints and the recipe
# ---------------------------------------------------------------------------

CHECKPOINT_DIR = REPO_ROOT / "checkpoints"


def autocast_dtype(device) -> torch.dtype | None:
    """The lower precision worth using on `device`, or None for plain float32 (05_training).

    CUDA: bfloat16 where the GPU supports it, else float16. CPU: bfloat16 only where the
    processor computes it natively (otherwise it is slower than float32). Others: None.
    """
    device = torch.device(device)
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "cpu" and torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return torch.bfloat16
    return None


def train_one_epoch(model, loader, loss_fn, optimizer, device, scheduler=None, dtype=None, losses=None) -> float:
    """One pass over the training data, updating the model after every batch; the mean loss (05_training).

    `scheduler` (stepped after every batch), `dtype` (autocast's lower precision) and `losses`
    (a list that receives every batch's loss, for plotting) are optional.
    """
    from tqdm.auto import tqdm

    model.train()
    # float16 needs its loss scaled so that small gradients do not round to zero; otherwise
    # the scaler is switched off and its three calls are loss.backward() and optimizer.step().
    scaler = torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)
    total_loss, batches = 0.0, 0
    progress = tqdm(loader, desc="training", leave=False)
    for images, labels in progress:
        images, labels = images.to(device), labels.to(device)
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            loss = loss_fn(model(images), labels)
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        if scheduler is not None:
            scheduler.step()
        total_loss, batches = total_loss + loss.item(), batches + 1
        progress.set_postfix(loss=f"{total_loss / batches:.3f}")
        if losses is not None:
            losses.append(loss.item())
    return total_loss / batches


def evaluate(model, loader, device, dtype=None) -> float:
    """The fraction of images in `loader` that the model classifies correctly (05_training)."""
    model.eval()
    correct, total = 0, 0
    with torch.inference_mode():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
                outputs = model(images)
            correct += (outputs.argmax(dim=1) == labels).sum().item()
            total += len(labels)
    return correct / total


class FlipAveraged(nn.Module):
    """`model` with test-time augmentation: each image's scores plus its mirror image's (05_training).

    The model was trained on randomly mirrored images, so a mirrored test image is a second,
    equally familiar view, for the price of a second forward pass. For evaluation:
    `evaluate(FlipAveraged(model), loader, device)`.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x) + self.model(x.flip(dims=[3]))


def predictions(model, loader, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Every predicted label and every true label in `loader`, on the CPU (05_training)."""
    model.eval()
    predicted, true = [], []
    with torch.inference_mode():
        for images, labels in loader:
            predicted.append(model(images.to(device)).argmax(dim=1).cpu())
            true.append(labels.cpu())
    return torch.cat(predicted), torch.cat(true)


def save_checkpoint(path, model, optimizer, epoch: int, scheduler=None) -> None:
    """Save the model, the optimizer, the epoch (and the scheduler) to `path`, atomically (05_training).

    It writes a temporary file first and then renames it, so an interruption never
    leaves a half-written checkpoint behind.
    """
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    torch.save(state, partial)
    os.replace(partial, path)


def load_checkpoint(path, model, optimizer=None, scheduler=None) -> int:
    """Restore what save_checkpoint saved into `model` (and `optimizer`, `scheduler`); the epoch (05_training)."""
    device = next(model.parameters()).device
    state = torch.load(path, map_location=device, weights_only=True)
    model.load_state_dict(state["model"])
    if optimizer is not None:
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and "scheduler" in state:
        scheduler.load_state_dict(state["scheduler"])
    return state["epoch"]


def modern_recipe(model, epochs: int, steps_per_epoch: int, max_lr: float = 0.4):
    """The modern network's optimizer, learning-rate schedule and loss (05_training).

    SGD with Nesterov momentum and weight decay; a one-cycle schedule (the learning rate
    rises to `max_lr` over the first quarter of the steps, then falls to almost zero);
    cross-entropy with label smoothing 0.1. Step the scheduler after every batch.
    """
    optimizer = torch.optim.SGD(model.parameters(), lr=max_lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=max_lr, epochs=epochs, steps_per_epoch=steps_per_epoch, pct_start=0.25)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    return optimizer, scheduler, loss_fn

# ---------------------------------------------------------------------------
# 06_gpu: measuring speed and memory honestly on any device
# ---------------------------------------------------------------------------

def synchronize(device) -> None:
    """Wait until `device` has finished all the work queued on it, so that a clock read next is honest (06_gpu)."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def time_training_step(model, images, labels, *, warmup=3, repeats=10, amp_dtype=None) -> float:
    """Images per second of one training step of `model` on one batch: warm up, synchronize, take the median (06_gpu).

    The model, images and labels must already sit on one device. It trains `model` on
    that batch (SGD), so pass a model you do not need afterwards.
    """
    device = images.device
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for _ in range(warmup):  # the first steps pay for memory allocation and kernel selection
        step()
    seconds = []
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        step()
        synchronize(device)  # without it, a GPU step would look as fast as queueing it
        seconds.append(time.perf_counter() - start)
    return len(images) / statistics.median(seconds)


def reset_peak_memory(device) -> None:
    """Start counting peak memory afresh; only CUDA can (06_gpu)."""
    if torch.device(device).type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_memory_mb(device) -> float | None:
    """Peak memory in MB (10**6 bytes): CUDA's tensors since the last reset, else what the process holds (06_gpu).

    On MPS it is the memory the driver holds now (MPS counts no peak); on the CPU it is
    the whole process's peak resident memory since it started, None on Windows.
    """
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 1e6
    if device.type == "mps":
        return torch.mps.driver_allocated_memory() / 1e6
    try:
        import resource
    except ImportError:  # Windows has no getrusage
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6
