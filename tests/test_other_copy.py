"""A contributor with another copy of CIFAR-10 (torchvision's download) gets a green run too.

The committed outputs were made with the JPEG class-folder copy CI reads. torchvision's download holds
the same photos in another order (classes interleaved) and with slightly different pixels (the JPEG copy
was re-encoded). This test writes such a copy, in torchvision's layout, in another order and with pixel
noise, and runs the notebooks that show data (01-04) against it under nbval: the loader's one order makes
every order-dependent output agree, and only cells tagged depends-on-data-copy (exact pixel values of a
particular image) are not compared.
"""

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np

import workshop

ROOT = Path(__file__).resolve().parent.parent
DATA_NOTEBOOKS = ["01_tensors.ipynb", "02_dataloaders.ipynb", "03_cnn.ipynb", "04_loss_and_optimizer.ipynb"]


def write_torchvision_copy(folder: Path, seed: int = 0) -> None:
    """The data set in torchvision's layout: classes interleaved (each in its own order), pixels off by -1..1."""
    batches = folder / "cifar-10-batches-py"
    batches.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for split, names in (("train", [f"data_batch_{i}" for i in range(1, 6)]), ("test", ["test_batch"])):
        dataset = workshop.load_cifar10(train=split == "train")
        targets = np.array(dataset.targets)
        labels = rng.permutation(targets)  # where each class's next photo goes
        order = np.empty(len(targets), dtype=int)
        for c in range(10):
            order[labels == c] = np.flatnonzero(targets == c)
        noise = rng.integers(-1, 2, dataset.data.shape)
        pixels = np.clip(dataset.data[order].astype(np.int16) + noise, 0, 255).astype(np.uint8)
        rows = pixels.transpose(0, 3, 1, 2).reshape(len(order), -1)
        for part, name in zip(np.array_split(np.arange(len(order)), len(names)), names, strict=True):
            with open(batches / name, "wb") as f:
                pickle.dump({"data": rows[part], "labels": labels[part].tolist()}, f)
    (batches / "batches.meta").write_bytes(pickle.dumps({"label_names": list(workshop.CLASSES)}))


def test_the_data_notebooks_pass_with_torchvisions_layout_in_another_order_and_other_pixels(tmp_path):
    write_torchvision_copy(tmp_path / "download")
    env = {**os.environ, "CIFAR10_DIR": str(tmp_path / "download"), "WORKSHOP_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           *[f"notebooks/{name}" for name in DATA_NOTEBOOKS]],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    assert "another copy than the committed outputs were made with" in done.stdout
