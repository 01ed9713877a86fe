"""The loaders of 02_dataloaders (workshop.py's copies of them) do what the notebook says."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import workshop


@pytest.fixture(scope="module")
def test_set():
    return workshop.load_cifar10(train=False)


@pytest.fixture(scope="module")
def real_images(test_set):
    """64 real test images, N x 3 x 32 x 32 uint8, a few of every class."""
    index = np.arange(0, len(test_set), len(test_set) // 64)[:64]
    return torch.from_numpy(test_set.data[index]).permute(0, 3, 1, 2).contiguous()


def crops_and_flips(image, padding=4):
    """Every image augment_batch may make from `image`: each crop of the padded image, and its mirror."""
    padded = F.pad(image, (padding,) * 4)
    size = image.shape[-1]
    for dy in range(2 * padding + 1):
        for dx in range(2 * padding + 1):
            crop = padded[:, dy:dy + size, dx:dx + size]
            yield dy, dx, False, crop
            yield dy, dx, True, crop.flip(2)


def test_augment_batch_keeps_shape_and_dtype(real_images):
    torch.manual_seed(0)
    for images in (real_images, real_images.float() / 255):
        out = workshop.augment_batch(images)
        assert out.shape == images.shape and out.dtype == images.dtype


def test_augment_batch_makes_crops_of_the_padded_image_and_their_mirrors(real_images):
    torch.manual_seed(0)
    out = workshop.augment_batch(real_images)
    found = []
    for image, augmented in zip(real_images, out, strict=True):
        matches = [(dy, dx, flip) for dy, dx, flip, candidate in crops_and_flips(image)
                   if torch.equal(candidate, augmented)]
        assert matches, "an augmented image is no crop of the padded image, nor the mirror of one"
        found.append(matches[0])
    flips = [flip for _, _, flip in found]
    offsets = {(dy, dx) for dy, dx, _ in found}
    assert 16 < sum(flips) < 48, "about half the images should be mirrored"
    assert len(offsets) > 20, "the crop offsets should vary from image to image"


def test_a_flipped_image_equals_the_flip_of_its_crop(real_images):
    torch.manual_seed(1)
    out = workshop.augment_batch(real_images)
    torch.manual_seed(1)  # same random draws, so the same offsets and flips
    n = len(real_images)
    dy = torch.randint(0, 9, (n, 1))
    dx = torch.randint(0, 9, (n, 1))
    flip = torch.rand(n) < 0.5
    padded = F.pad(real_images, (4,) * 4)
    for i in range(n):
        crop = padded[i, :, dy[i]:dy[i] + 32, dx[i]:dx[i] + 32]
        assert torch.equal(out[i], crop.flip(2) if flip[i] else crop)


def test_padding_shows_as_zeros():
    torch.manual_seed(0)
    white = torch.full((256, 3, 32, 32), 255, dtype=torch.uint8)  # no zero pixel in the input
    out = workshop.augment_batch(white)
    zero_rows = (out == 0).all(dim=(1, 3))  # N x 32: rows that are all padding
    zero_cols = (out == 0).all(dim=(1, 2))
    assert zero_rows.any() and zero_cols.any()
    assert zero_rows.sum(dim=1).max() <= 4 and zero_cols.sum(dim=1).max() <= 4, "at most 4 pixels of padding"
    assert ((out == 0) | (out == 255)).all()


def test_channel_stats_agree_with_torch(test_set):
    mean, std = workshop.channel_stats(test_set.data)
    pixels = torch.from_numpy(test_set.data).double() / 255
    assert torch.allclose(torch.tensor(mean, dtype=torch.float64), pixels.mean(dim=(0, 1, 2)))
    assert torch.allclose(torch.tensor(std, dtype=torch.float64), pixels.std(dim=(0, 1, 2), unbiased=False))


def test_tensor_loader_length_and_drop_last(test_set):
    mean, std = workshop.channel_stats(test_set.data)
    keep = workshop.TensorLoader(test_set, 128, mean, std)
    drop = workshop.TensorLoader(test_set, 128, mean, std, drop_last=True)
    assert len(keep) == 79 and len(drop) == 78
    keep_sizes = [len(labels) for _, labels in keep]
    drop_sizes = [len(labels) for _, labels in drop]
    assert keep_sizes == [128] * 78 + [10_000 - 78 * 128] and drop_sizes == [128] * 78


def test_tensor_loader_serves_every_image_once_per_epoch(test_set):
    mean, std = workshop.channel_stats(test_set.data)
    torch.manual_seed(0)
    labels = torch.cat([y for _, y in workshop.TensorLoader(test_set, 256, mean, std, shuffle=True, augment=True)])
    assert torch.equal(labels.sort().values, torch.tensor(sorted(test_set.targets)))
    assert not torch.equal(labels, torch.tensor(test_set.targets)), "shuffle=True should change the order"


def test_tensor_loader_normalises_to_mean_0_std_1(test_set):
    mean, std = workshop.channel_stats(test_set.data)
    images = torch.cat([x for x, _ in workshop.TensorLoader(test_set, 1000, mean, std)]).double()
    assert images.mean(dim=(0, 2, 3)).abs().max() < 1e-4
    assert (images.std(dim=(0, 2, 3)) - 1).abs().max() < 1e-3


def test_tensor_loader_matches_the_torchvision_pipeline(test_set):
    mean, std = workshop.channel_stats(test_set.data)
    images, labels = next(iter(workshop.TensorLoader(test_set, 8, mean, std)))
    transform = workshop.test_transform(mean, std)
    for i in range(8):
        image, label = test_set[i]
        assert torch.allclose(images[i], transform(image), atol=1e-5) and labels[i] == label


@pytest.mark.parametrize("start, cores, workers", [("fork", 4, 2), ("fork", 2, 2), ("fork", 1, 0), ("spawn", 8, 0),
                                                   ("forkserver", 8, 0)])
def test_default_num_workers_is_2_only_where_workers_fork_and_a_core_is_spare(monkeypatch, start, cores, workers):
    monkeypatch.setattr(torch.multiprocessing, "get_start_method", lambda: start)
    monkeypatch.setattr(workshop.os, "cpu_count", lambda: cores)
    assert workshop.default_num_workers() == workers


def test_make_loaders_splits_once_and_keeps_validation_plain():
    train, val, test = workshop.make_loaders(batch_size=64, num_workers=0)
    assert (len(train.dataset), len(val.dataset), len(test.dataset)) == (45_000, 5_000, 10_000)
    assert (len(train), len(val), len(test)) == (703, 79, 157)
    assert not set(train.dataset.indices) & set(val.dataset.indices)
    _, val_again, _ = workshop.make_loaders(batch_size=64, num_workers=0)
    assert val.dataset.indices == val_again.dataset.indices, "the seeded split must not change"
    first, second = val.dataset[0][0], val.dataset[0][0]
    assert torch.equal(first, second), "validation images must not be augmented"
    images, labels = next(iter(train))
    assert images.shape == (64, 3, 32, 32) and labels.shape == (64,)


@pytest.mark.parametrize("batch_size", [0, -5, 64.0, "64"])
def test_tensor_loader_refuses_a_batch_size_that_is_not_a_whole_number_of_1_or_more(test_set, batch_size):
    mean, std = workshop.channel_stats(test_set.data)
    with pytest.raises(ValueError, match="batch_size must be a whole number"):
        workshop.TensorLoader(test_set, batch_size, mean, std)


def test_tensor_loader_refuses_statistics_on_the_0_to_255_scale(test_set):
    mean, std = workshop.channel_stats(test_set.data)
    with pytest.raises(ValueError, match="0..255 scale"):
        workshop.TensorLoader(test_set, 64, [255 * m for m in mean], [255 * s for s in std])


def test_tensor_loader_refuses_a_data_set_too_small_for_one_whole_batch(test_set):
    mean, std = workshop.channel_stats(test_set.data)
    with pytest.raises(ValueError, match="10000 images make no whole batch of 20000"):
        workshop.TensorLoader(test_set, 20_000, mean, std, drop_last=True)


def test_tensor_loader_takes_a_part_made_by_random_split(test_set):
    mean, std = workshop.channel_stats(test_set.data)
    part, _ = torch.utils.data.random_split(test_set, [100, 9900], generator=torch.Generator().manual_seed(0))
    images, labels = next(iter(workshop.TensorLoader(part, 100, mean, std)))
    assert labels.tolist() == [test_set.targets[i] for i in part.indices]
    whole = workshop.TensorLoader(test_set, 10_000, mean, std)
    assert torch.equal(images, next(iter(whole))[0][part.indices])
