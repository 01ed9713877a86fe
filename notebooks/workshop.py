"""What the workshop's notebooks build, in one module, so that every notebook runs on its own.

GENERATED FILE: do not edit it by hand. Every definition below is copied, in notebook order,
from the notebook cell that teaches it, where its first line ends with the marker `#@save`
("later notebooks reuse this"); a comment above each one names its notebook. To change a
definition, edit it in its notebook, then regenerate this file:

    python tools/build_workshop.py

and re-run that notebook and every later one that uses it (python tools/run_notebooks.py).
The tests fail while this file is out of date. What the notebooks use but do not teach is
hand-written beside it and re-exported here: loading CIFAR-10 (cifar10_data.py), and quick
mode, the checkpoint folder and the exercises' self-check (course.py).
"""

import math
import os
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Subset

from cifar10_data import CLASSES, REPO_ROOT, CIFAR10Images, DatasetError, cache_dir, load_cifar10  # noqa: F401
from course import check, check_at_least, check_model, checkpoint_dir, full_or_quick, quick_mode  # noqa: F401

# Code copied from a notebook may say `workshop.name`; in here, that is this module itself.
workshop = sys.modules[__name__]


# Taught in 01_tensors.ipynb
def pick_device() -> torch.device:
    """The fastest device present: CUDA, then Apple MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


# Taught in 02_dataloaders.ipynb
def channel_stats(data: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and standard deviation of uint8 images N x H x W x 3, on the 0..1 scale."""
    channels = [data[..., c].astype(np.float64) / 255 for c in range(data.shape[-1])]
    return tuple(float(x.mean()) for x in channels), tuple(float(x.std()) for x in channels)


# Taught in 02_dataloaders.ipynb
def train_transform(mean, std):
    """Augment (random crop with 4 pixels of padding, horizontal flip), then ToTensor and Normalize."""
    from torchvision import transforms
    return transforms.Compose([
        transforms.RandomCrop(32, padding=4),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(mean, std),
    ])


# Taught in 02_dataloaders.ipynb
def test_transform(mean, std):
    """ToTensor and Normalize, no augmentation: for validation and test data."""
    from torchvision import transforms
    return transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])


# Taught in 02_dataloaders.ipynb
def default_num_workers() -> int:
    """DataLoader worker processes that work in a notebook: 2 where workers start by "fork", else 0."""
    if torch.multiprocessing.get_start_method() != "fork":
        return 0
    return 2 if (os.cpu_count() or 1) >= 2 else 0


# Taught in 02_dataloaders.ipynb
def loader_speed(loader, n_images: int, device="cpu") -> float:
    """Images per second that `loader` delivers to `device`, timed over its first `n_images` images."""
    start, seen = time.perf_counter(), 0
    for images, labels in loader:
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        seen += len(labels)
        if seen >= n_images:
            break
    labels[-1].item()  # reading a value back waits until a GPU has finished all it was given (notebook 06)
    return seen / (time.perf_counter() - start)


# Taught in 02_dataloaders.ipynb
def augment_batch(images: torch.Tensor, padding: int = 4) -> torch.Tensor:
    """Random crop (zero padding) and horizontal flip for a whole batch N x C x H x W at once."""
    n, _, h, w = images.shape
    padded = F.pad(images, (padding,) * 4)  # N x C x (h+8) x (w+8), zeros around
    dy = torch.randint(0, 2 * padding + 1, (n, 1), device=images.device)  # offset per image
    dx = torch.randint(0, 2 * padding + 1, (n, 1), device=images.device)
    rows = (dy + torch.arange(h, device=images.device))[:, None, :, None]  # which rows each image keeps
    cols = (dx + torch.arange(w, device=images.device))[:, None, None, :]
    batch = torch.arange(n, device=images.device)[:, None, None, None]
    channel = torch.arange(images.shape[1], device=images.device)[None, :, None, None]
    cropped = padded[batch, channel, rows, cols]  # N x C x h x w, gathered in one step
    flip = torch.rand(n, device=images.device) < 0.5
    return torch.where(flip[:, None, None, None], cropped.flip(3), cropped)


# Taught in 02_dataloaders.ipynb
class TensorLoader:
    """A whole data set as one uint8 tensor on `device`, served in normalised, augmented batches."""

    def __init__(self, dataset, batch_size: int, mean, std, *, shuffle: bool = False,
                 augment: bool = False, drop_last: bool = False, device="cpu", channels_last: bool = False):
        if isinstance(dataset, Subset):  # a part made by random_split: take its images out of the whole set
            dataset = SimpleNamespace(data=dataset.dataset.data[dataset.indices],
                                      targets=[dataset.dataset.targets[i] for i in dataset.indices])
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a whole number, 1 or more, not {batch_size!r}")
        if max(mean) > 1 or max(std) > 1:
            raise ValueError(f"mean {mean} and std {std} look like the 0..255 scale; pass channel_stats' 0..1 values")
        self.images = torch.from_numpy(dataset.data).permute(0, 3, 1, 2).contiguous().to(device)
        self.labels = torch.as_tensor(dataset.targets).to(device)
        self.mean = torch.tensor(mean, device=device).view(1, -1, 1, 1) * 255
        self.std = torch.tensor(std, device=device).view(1, -1, 1, 1) * 255
        self.batch_size, self.shuffle, self.augment, self.drop_last = batch_size, shuffle, augment, drop_last
        self.channels_last = channels_last
        if len(self) == 0:
            raise ValueError(f"{len(self.labels)} images make no whole batch of {batch_size}: lower batch_size")

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


# Taught in 02_dataloaders.ipynb
def make_loaders(batch_size: int = 64, val_size: int = 5000, seed: int = 0, num_workers: int | None = None):
    """Training (augmented, shuffled), validation and test DataLoaders, the tutorial-style path."""
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


# Taught in 03_cnn.ipynb
class Net(nn.Module):
    """The PyTorch tutorial's network: 62,006 parameters."""

    def __init__(self):
        super().__init__()  # let nn.Module set up its bookkeeping first
        self.conv1 = nn.Conv2d(3, 6, 5)  # 3 colour channels in, 6 feature maps out, 5 x 5 filters
        self.pool = nn.MaxPool2d(2, 2)  # keep the largest of every 2 x 2 block: halves height and width
        self.conv2 = nn.Conv2d(6, 16, 5)  # 6 maps in, 16 out, 5 x 5 filters
        self.fc1 = nn.Linear(16 * 5 * 5, 120)  # "fully connected": 400 numbers in, 120 out
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)  # one output per class

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))  # convolve, ReLU, pool
        x = self.pool(F.relu(self.conv2(x)))  # and again
        x = torch.flatten(x, 1)  # 16 x 5 x 5 maps to one row of 400 numbers per image
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)  # 10 scores ("logits"), no ReLU: they may be negative


# Taught in 03_cnn.ipynb
def conv_block(in_channels: int, out_channels: int, global_pool: bool = False) -> nn.Sequential:
    """A 3x3 convolution, max pooling, batch normalisation and ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.AdaptiveMaxPool2d(1) if global_pool else nn.MaxPool2d(2),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


# Taught in 03_cnn.ipynb
class ModernNet(nn.Module):
    """Four blocks of convolution, max pooling, batch normalisation and ReLU, then one linear layer."""

    def __init__(self, widths=(16, 64, 128, 256), num_classes: int = 10):
        super().__init__()
        channels = (3, *widths)  # each block's input channels: the image's 3, then the previous block's output
        self.features = nn.Sequential(*[
            conv_block(channels[i], channels[i + 1], global_pool=i == len(widths) - 1)  # the last pools globally
            for i in range(len(widths))
        ])
        self.classifier = nn.Linear(widths[-1], num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


# Taught in 05_training.ipynb
def split_validation(dataset, val_size: int = 5000, seed: int = 0):
    """A fixed random split: (training part, validation part of the last `val_size` shuffled images)."""
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed)).numpy()
    return tuple(workshop.CIFAR10Images(dataset.data[index], [dataset.targets[i] for i in index], train,
                                        source=dataset.source)
                 for index, train in ((order[:-val_size], True), (order[-val_size:], False)))


# Taught in 05_training.ipynb
def predictions(model, loader, device, amp_dtype=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Every predicted label and every true label in `loader`, on the CPU."""
    device = torch.device(device)
    model.eval()
    predicted, true = [], []
    with torch.inference_mode():
        for images, labels in loader:
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                outputs = model(images.to(device))
            predicted.append(outputs.argmax(dim=1).cpu())
            true.append(labels.cpu())
    if not true:
        raise ValueError("the loader gave no images to evaluate")
    return torch.cat(predicted), torch.cat(true)


# Taught in 05_training.ipynb
def evaluate(model, loader, device, amp_dtype=None) -> float:
    """The fraction of images in `loader` that the model classifies correctly."""
    predicted, true = predictions(model, loader, device, amp_dtype)
    return (predicted == true).sum().item() / len(true)


# Taught in 05_training.ipynb
def save_checkpoint(path, model, optimizer, epoch: int, scheduler=None) -> None:
    """Save model, optimizer, epoch (and scheduler) to `path`, through a temporary file."""
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    torch.save(state, partial)
    os.replace(partial, path)


# Taught in 05_training.ipynb
def autocast_dtype(device) -> torch.dtype | None:
    """The lower precision worth using on `device` (bfloat16 or float16), or None for plain float32."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported(including_emulation=False) else torch.float16
    if device.type == "cpu" and torch.ops.mkldnn._is_mkldnn_bf16_supported():  # native bfloat16 only
        return torch.bfloat16
    return None


# Taught in 05_training.ipynb
def train_one_epoch(model, loader, loss_fn, optimizer, device,
                    scheduler=None, amp_dtype=None, losses=None) -> float:
    """One pass over the training data, updating the model after every batch; returns the mean loss."""
    from tqdm.auto import tqdm

    device = torch.device(device)  # "cpu" and "cuda" work as well as torch.device(...)
    model.train()
    # float16 needs its loss scaled so that small gradients do not round to zero; otherwise
    # the scaler is switched off and its three calls are loss.backward() and optimizer.step().
    scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16)
    total_loss, batches = 0.0, 0
    progress = tqdm(loader, desc="training", leave=False)
    for images, labels in progress:
        if len(labels) == 1:  # batch normalisation cannot learn from one image (notebook 03): skip it
            continue
        images, labels = images.to(device), labels.to(device)
        with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
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
    if batches == 0:
        raise ValueError("the loader gave no batch of 2 or more images to train on")
    return total_loss / batches


# Taught in 05_training.ipynb
def read_checkpoint(path, device) -> dict:
    """What save_checkpoint wrote to `path`, loaded safely; a ValueError says what the file is instead."""
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as error:  # an empty or cut-off file, a web page saved by mistake, a pickle holding code
        raise ValueError(f"'{path}' is not a checkpoint: torch.load cannot read it safely ({type(error).__name__}). "
                         "A checkpoint is a file that save_checkpoint wrote.") from None
    if not isinstance(state, dict) or not {"model", "optimizer", "epoch"} <= state.keys():
        tensors = isinstance(state, dict) and all(torch.is_tensor(v) for v in state.values())
        raise ValueError(f"'{path}' holds {'a state_dict alone' if tensors else type(state).__name__}, not a "
                         "checkpoint with model, optimizer and epoch. A state_dict alone loads with "
                         "model.load_state_dict(torch.load(path, weights_only=True)).")
    return state


# Taught in 05_training.ipynb
def load_checkpoint(path, model, optimizer=None, scheduler=None) -> int:
    """Restore what save_checkpoint saved into `model` (and `optimizer`, `scheduler`); returns the epoch."""
    state = read_checkpoint(path, next(model.parameters()).device)
    if scheduler is not None and "scheduler" in state:  # check before anything is loaded
        saved, wanted = (s.get("total_steps", s.get("total_iters"))  # OneCycleLR's or LinearLR's number of steps
                         for s in (state["scheduler"], scheduler.state_dict()))
        if saved != wanted:
            raise ValueError(f"the checkpoint's schedule has {saved} steps, this one {wanted}: it comes from another "
                             "run (other epochs, quick mode, another schedule). Resume with the same settings.")
    model.load_state_dict(state["model"])
    if optimizer is not None:
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and "scheduler" in state:
        scheduler.load_state_dict(state["scheduler"])
    return state["epoch"]


# Taught in 05_training.ipynb
def modern_recipe(model, epochs: int, steps_per_epoch: int, max_lr: float = 0.4):
    """The modern network's optimizer, learning-rate schedule and loss; step the scheduler after every batch."""
    # OneCycleLR cycles the momentum between 0.95 and 0.85 (cycle_momentum=True), replacing this 0.9
    optimizer = torch.optim.SGD(model.parameters(), lr=max_lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=max_lr, epochs=epochs, steps_per_epoch=steps_per_epoch, pct_start=0.25)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    return optimizer, scheduler, loss_fn


# Taught in 05_training.ipynb
def best_recipe(train_set, test_set, device, epochs: int, *, float32: bool = False,
                network=None, max_lr: float = 0.4) -> SimpleNamespace:
    """Notebook 05's best setup on `device`: loaders, the network (ModernNet unless another class is given),
    optimizer, schedule, loss and precision."""
    device = torch.device(device)
    channels_last = device.type != "mps"  # fast channels-last convolutions on CPUs and CUDA GPUs
    mean, std = workshop.channel_stats(train_set.data)
    loader_options = dict(mean=mean, std=std, device=device, channels_last=channels_last)
    train_loader = workshop.TensorLoader(train_set, 256, shuffle=True, augment=True, drop_last=True, **loader_options)
    test_loader = workshop.TensorLoader(test_set, 1000, **loader_options)
    torch.manual_seed(0)  # the same starting weights, and then the same batches, in every run
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = (network or workshop.ModernNet)().to(device, memory_format=memory_format)
    optimizer, scheduler, loss_fn = modern_recipe(model, epochs, len(train_loader), max_lr)
    amp_dtype = None if float32 else autocast_dtype(device)
    return SimpleNamespace(model=model, train_loader=train_loader, test_loader=test_loader, optimizer=optimizer,
                           scheduler=scheduler, loss_fn=loss_fn, amp_dtype=amp_dtype, loader_options=loader_options)


# Taught in 05_training.ipynb
class FlipAveraged(nn.Module):
    """`model` with test-time augmentation: each image's scores plus its mirror image's."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x) + self.model(x.flip(dims=[3]))


# Taught in 06_gpu.ipynb
def synchronize(device) -> None:
    """Wait until `device` has finished all the work queued on it."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


# Taught in 06_gpu.ipynb
def time_training_step(model, images, labels, *, warmup=3, repeats=10, amp_dtype=None) -> float:
    """Images per second of one training step of `model` on one batch, median of `repeats`."""
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


# Taught in 06_gpu.ipynb
def reset_peak_memory(device) -> None:
    """Start counting peak memory afresh; only CUDA can."""
    if torch.device(device).type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


# Taught in 06_gpu.ipynb
def peak_memory_mb(device) -> float | None:
    """Peak memory in MB: CUDA's tensors since the last reset; MPS's driver now; else the process's peak."""
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


# Taught in 07_going_further.ipynb
def normalised_tensors(dataset, mean, std, device):
    """A whole data set as one float tensor N x 3 x 32 x 32 on `device`, normalised, and its labels."""
    images = torch.from_numpy(dataset.data).to(device).permute(0, 3, 1, 2).float().div(255)
    mean = torch.tensor(mean, device=device).view(1, 3, 1, 1)
    std = torch.tensor(std, device=device).view(1, 3, 1, 1)
    return (images - mean) / std, torch.as_tensor(dataset.targets, device=device)


# Taught in 07_going_further.ipynb
def patch_whitening(images, patch_size: int = 2, eps: float = 5e-4) -> torch.Tensor:
    """Filters that whiten the patch_size x patch_size patches of `images` (N x C x H x W): C x p x p filters,
    each C x p x p, the direction of most variance first."""
    channels = images.shape[1]
    patches = images.unfold(2, patch_size, 1).unfold(3, patch_size, 1)  # N x C x H' x W' x p x p
    patches = patches.permute(0, 2, 3, 1, 4, 5).reshape(-1, channels * patch_size ** 2)  # one patch per row
    covariance = torch.cov(patches.T.double())  # 12 x 12 for 2 x 2 patches of 3 channels
    variances, directions = torch.linalg.eigh(covariance)  # ascending variances, one direction per column
    filters = directions.T / torch.sqrt(variances + eps)[:, None]  # project on a direction, scale to variance 1
    return filters.flip(0).reshape(-1, channels, patch_size, patch_size).float()


# Taught in 07_going_further.ipynb
class SpeedBlock(nn.Module):
    """Convolution, max-pool, batch norm, GELU; then convolution, batch norm, GELU. Halves the size."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.norm1 = nn.BatchNorm2d(out_channels, momentum=0.4, eps=1e-12)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.norm2 = nn.BatchNorm2d(out_channels, momentum=0.4, eps=1e-12)
        for norm in (self.norm1, self.norm2):
            norm.weight.requires_grad_(False)  # scale fixed at 1; only the shift (bias) learns
        for conv in (self.conv1, self.conv2):  # identity start: output channel i copies input channel i
            nn.init.dirac_(conv.weight.data[:conv.in_channels])

    def forward(self, x):
        x = F.gelu(self.norm1(F.max_pool2d(self.conv1(x), 2)))
        return F.gelu(self.norm2(self.conv2(x)))


# Taught in 07_going_further.ipynb
class SpeedNet(nn.Module):
    """Airbench's network: a frozen whitening layer, three SpeedBlocks, global max-pool, one linear layer."""

    def __init__(self, whitening: torch.Tensor, widths=(32, 128, 128), num_classes: int = 10):
        super().__init__()
        n, _, size, _ = whitening.shape
        self.whiten = nn.Conv2d(3, 2 * n, size)  # each filter and its negative: GELU then keeps both signs
        with torch.no_grad():
            self.whiten.weight.copy_(torch.cat([whitening, -whitening]))
            self.whiten.bias.zero_()
        self.whiten.weight.requires_grad_(False)
        sizes = (2 * n, *widths)
        self.blocks = nn.Sequential(*[SpeedBlock(sizes[i], sizes[i + 1]) for i in range(len(widths))])
        self.head = nn.Linear(widths[-1], num_classes, bias=False)

    def forward(self, x):
        x = self.blocks(F.gelu(self.whiten(x)))
        return self.head(F.adaptive_max_pool2d(x, 1).flatten(1)) / 9  # smaller scores at the start


# Taught in 07_going_further.ipynb
def speedrun_batches(images, labels, batch_size: int, epoch: int, first_flips, shift: int = 2):
    """One epoch of shuffled batches: each image shifted by up to `shift` pixels (reflect padding) and
    mirrored where `first_flips` says in even epochs, where it does not in odd ones."""
    n, _, h, w = images.shape
    padded = F.pad(images, (shift,) * 4, mode="reflect")
    flips = first_flips ^ bool(epoch % 2)  # alternate: every image is seen both ways in two epochs
    dy = torch.randint(0, 2 * shift + 1, (n, 1), device=images.device)
    dx = torch.randint(0, 2 * shift + 1, (n, 1), device=images.device)
    rows, cols = torch.arange(h, device=images.device), torch.arange(w, device=images.device)
    channel = torch.arange(images.shape[1], device=images.device)[None, :, None, None]
    order = torch.randperm(n, device=images.device)
    for start in range(0, n - batch_size + 1, batch_size):  # whole batches only
        index = order[start:start + batch_size]
        crops = padded[index[:, None, None, None], channel,
                       (dy[index] + rows)[:, None, :, None], (dx[index] + cols)[:, None, None, :]]
        crops = torch.where(flips[index, None, None, None], crops.flip(3), crops)
        yield crops.contiguous(memory_format=torch.channels_last), labels[index]


# Taught in 07_going_further.ipynb
SPEEDRUN = dict(
    widths=(32, 128, 128), epochs=8, batch_size=512, small_size=24, small_share=0.4,  # CPU-sized run
    lr=11.5, momentum=0.85, weight_decay=0.0153, bias_scale=64,  # lr and decay per 1,024 images, as in airbench
    label_smoothing=0.2, whiten_bias_epochs=3, warmup=0.23, lookahead_start=3, tta_level=2, shift=2, seed=0,
    whitening=True, identity_init=True, lookahead=True, alternating_flips=True)  # ingredients, for switching off


# Taught in 07_going_further.ipynb
SPEEDRUN_GPU = dict(widths=(64, 256, 256), epochs=10, batch_size=1024, small_share=0)


# Taught in 07_going_further.ipynb
def speedrun_settings(device, **changes) -> SimpleNamespace:
    """The speedrun's settings for `device` (a CUDA GPU gets airbench's full widths), with `changes` applied."""
    settings = dict(SPEEDRUN, **(SPEEDRUN_GPU if torch.device(device).type == "cuda" else {}))
    unknown = set(changes) - set(settings)
    if unknown:
        raise TypeError(f"unknown speedrun settings {sorted(unknown)}; the settings are {sorted(settings)}")
    return SimpleNamespace(**{**settings, **changes})


# Taught in 07_going_further.ipynb
def speedrun_optimizer(net, s) -> torch.optim.SGD:
    """SGD with Nesterov momentum for a summed loss, airbench's units; batch-norm shifts learn `bias_scale` times
    faster."""
    kilo = 1024 * (1 + 1 / (1 - s.momentum))  # airbench's unit: per 1,024 images, momentum's gain divided out
    lr, decay = s.lr / kilo, s.weight_decay * s.batch_size / kilo
    named = [(name, p) for name, p in net.named_parameters() if p.requires_grad]
    norm_biases = [p for name, p in named if ".norm" in name]  # batch norm's shifts (its scales are frozen)
    others = [p for name, p in named if ".norm" not in name]
    groups = [dict(params=norm_biases, lr=lr * s.bias_scale, weight_decay=decay / (lr * s.bias_scale)),
              dict(params=others, lr=lr, weight_decay=decay / lr)]
    optimizer = torch.optim.SGD(groups, momentum=s.momentum, nesterov=True)
    for group in optimizer.param_groups:
        group["peak_lr"] = group["lr"]  # the schedule below scales this
    return optimizer


# Taught in 07_going_further.ipynb
def warmup_then_decay(step: int, total: int, warmup: float = 0.23, start: float = 0.2,
                      end: float = 0.07) -> float:
    """The learning rate's factor at `step` of `total`: up from `start` to 1 over the first `warmup` share of
    the steps, then down in a straight line to `end`."""
    top = round(warmup * total)
    if step < top:
        return start + (1 - start) * step / top
    return 1 - (1 - end) * (step - top) / (total - top)


# Taught in 07_going_further.ipynb
class Lookahead:
    """A slow copy of the weights: it moves part of the way to the network's weights, and the network restarts
    from it."""

    def __init__(self, net: nn.Module):
        self.slow = {name: t.detach().clone() for name, t in net.state_dict().items()}

    @torch.no_grad()
    def update(self, net: nn.Module, decay: float) -> None:
        for name, t in net.state_dict().items():
            if t.dtype.is_floating_point:
                self.slow[name].lerp_(t, 1 - decay)  # slow = decay x slow + (1 - decay) x fast
                t.copy_(self.slow[name])


# Taught in 07_going_further.ipynb
def train_speedrun(images, labels, s, log=print):
    """Train a SpeedNet on normalised `images` (on their device) with settings `s`; returns the network and the
    training time in seconds."""
    device = images.device
    workshop.synchronize(device)
    start = time.perf_counter()
    torch.manual_seed(s.seed)
    whitening = patch_whitening(images[:5000])
    if not s.whitening:  # for the ablation: random filters of the same shape and scale
        whitening = torch.randn_like(whitening) * whitening.std()
    net = SpeedNet(whitening, s.widths).to(device, memory_format=torch.channels_last)
    if not s.identity_init:  # for the ablation: PyTorch's default random start
        for block in net.blocks:
            block.conv1.reset_parameters(), block.conv2.reset_parameters()
    optimizer = speedrun_optimizer(net, s)
    total = round(s.epochs * (len(images) // s.batch_size))
    first_flips = torch.rand(len(images), device=device) < 0.5
    amp_dtype = workshop.autocast_dtype(device)
    scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16)  # float16 only (notebook 05)
    lookahead, step = None, 0
    for epoch in range(math.ceil(s.epochs)):
        net.train()
        net.whiten.bias.requires_grad_(epoch < s.whiten_bias_epochs)
        flips = first_flips if s.alternating_flips else torch.rand(len(images), device=device) < 0.5
        size = s.small_size if epoch < int(s.small_share * s.epochs) else images.shape[-1]  # progressive resizing
        for x, y in speedrun_batches(images, labels, s.batch_size, epoch, flips, s.shift):
            if size != x.shape[-1]:
                x = F.interpolate(x, size=size, mode="bilinear", antialias=True)
            for group in optimizer.param_groups:
                group["lr"] = group["peak_lr"] * warmup_then_decay(step, total, s.warmup)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                loss = F.cross_entropy(net(x), y, label_smoothing=s.label_smoothing, reduction="sum")
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            step += 1
            if s.lookahead and epoch >= s.lookahead_start and step % 5 == 0:
                if lookahead is None:
                    lookahead = Lookahead(net)
                else:
                    lookahead.update(net, decay=0.95 ** 5 * (step / total) ** 3)  # averages more as training ends
            if step == total:
                break
        if lookahead is not None:
            lookahead.update(net, decay=1.0)  # the network ends each epoch on the slow weights
        workshop.synchronize(device)
        log(f"epoch {epoch + 1} ({size} x {size}): loss {loss.item() / len(y):.3f}, "
            f"{time.perf_counter() - start:.1f} s of training")
    return net, time.perf_counter() - start


# Taught in 07_going_further.ipynb
def tta_scores(net, x, level: int = 2) -> torch.Tensor:
    """Class scores for a batch, summed over views: level 0 the images alone, 1 plus their mirror images, 2 plus
    both shifted one pixel up-left and down-right, at half weight."""
    scores = net(x).float()
    if level >= 1:
        scores = scores + net(x.flip(3)).float()
    if level >= 2:
        padded = F.pad(x, (1,) * 4, mode="reflect")
        h, w = x.shape[-2:]
        for d in (0, 2):  # d=0: the image moves one pixel down-right; d=2: one pixel up-left
            shifted = padded[..., d:d + h, d:d + w]
            scores = scores + 0.5 * (net(shifted).float() + net(shifted.flip(3)).float())
    return scores


# Taught in 07_going_further.ipynb
def speedrun_accuracy(net, images, labels, level: int = 2, batch_size: int = 1000) -> float:
    """Percent of `images` that `net` classifies right, with test-time augmentation `level`."""
    net.eval()
    amp_dtype = workshop.autocast_dtype(images.device)
    correct = 0
    with torch.no_grad(), torch.autocast(images.device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
        for start in range(0, len(images), batch_size):
            x = images[start:start + batch_size].contiguous(memory_format=torch.channels_last)
            correct += (tta_scores(net, x, level).argmax(1) == labels[start:start + batch_size]).sum().item()
    return 100 * correct / len(images)
