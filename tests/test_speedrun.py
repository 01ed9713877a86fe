"""Notebook 07's speedrun: each ingredient does what the notebook says, and the whole trains on real CIFAR-10."""

from pathlib import Path

import pytest
import torch

import workshop
from benchmarks import speedrun

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def test_tensors():
    """CIFAR-10's test set as notebook 07 prepares it, normalised with the training set's statistics."""
    mean, std = workshop.channel_stats(workshop.load_cifar10(train=True).data)
    return workshop.normalised_tensors(workshop.load_cifar10(train=False), mean, std, "cpu")


def patches_of(images, size=2):
    channels = images.shape[1]
    return images.unfold(2, size, 1).unfold(3, size, 1).permute(0, 2, 3, 1, 4, 5).reshape(-1, channels * size * size)


def test_normalised_tensors_have_mean_0_and_std_1_per_channel(test_tensors):
    images, labels = test_tensors
    assert images.shape == (10_000, 3, 32, 32) and images.dtype == torch.float32 and labels.shape == (10_000,)
    assert images.mean((0, 2, 3)).abs().max() < 0.05  # the training set's statistics, so close to 0, not exactly
    assert (images.std((0, 2, 3)) - 1).abs().max() < 0.05


def test_patch_whitening_makes_real_patches_uncorrelated_with_variance_1(test_tensors):
    images = test_tensors[0][:2000]
    filters = workshop.patch_whitening(images)
    assert filters.shape == (12, 3, 2, 2)
    whitened = patches_of(images) @ filters.reshape(12, 12).T
    covariance = torch.cov(whitened.T)
    variances = covariance.diagonal()
    assert (variances[:4] - 1).abs().max() < 0.01, "the strongest directions get variance 1"
    assert (variances[1:] <= variances[:-1] + 1e-3).all() and variances[-1] < 0.5, "eps holds back the weakest ones"
    assert (covariance - torch.diag(covariance.diagonal())).abs().max() < 1e-3
    assert torch.cov(patches_of(images).T).diagonal().min() > 0.5, "real patches vary before whitening"


def test_patch_whitening_puts_the_direction_of_most_variance_first(test_tensors):
    images = test_tensors[0][:2000]
    filters = workshop.patch_whitening(images, eps=0)
    directions = filters.reshape(12, 12) / filters.reshape(12, 12).norm(dim=1, keepdim=True)
    variances = torch.cov((patches_of(images) @ directions.T).T).diagonal()
    assert (variances[:-1] >= variances[1:] - 1e-6).all(), variances
    assert workshop.patch_whitening(images, patch_size=3).shape == (27, 3, 3, 3)


def test_speednet_maps_images_to_10_scores_and_freezes_what_the_notebook_freezes(test_tensors):
    filters = workshop.patch_whitening(test_tensors[0][:500])
    net = workshop.SpeedNet(filters, (8, 16, 16))
    assert net(test_tensors[0][:4]).shape == (4, 10)
    assert net.whiten.out_channels == 24 and not net.whiten.weight.requires_grad
    assert torch.equal(net.whiten.weight[:12], filters) and torch.equal(net.whiten.weight[12:], -filters)
    for block in net.blocks:
        assert not block.norm1.weight.requires_grad and block.norm1.bias.requires_grad
        assert block.norm1.momentum == 0.4


def test_each_convolution_starts_by_passing_its_input_through():
    block = workshop.SpeedBlock(4, 6)
    x = torch.randn(2, 4, 8, 8)
    y = block.conv1(x)
    assert torch.allclose(y[:, :4], x, atol=1e-6), "output channel i copies input channel i"
    assert not torch.allclose(y[:, 4:], torch.zeros_like(y[:, 4:])), "the extra channels keep their random start"
    z = torch.randn(2, 6, 4, 4)
    assert torch.allclose(block.conv2(z), z, atol=1e-6)


def test_batches_cover_every_image_once_as_shifted_crops_and_alternate_flips():
    n, shift = 40, 2
    images = torch.randn(n, 3, 8, 8)
    labels = torch.arange(n)  # each image's position, to tell them apart after shuffling
    first = torch.rand(n) < 0.5
    padded = torch.nn.functional.pad(images, (shift,) * 4, mode="reflect")
    mirrored = {}
    for epoch in range(3):
        batches = list(workshop.speedrun_batches(images, labels, 16, epoch, first, shift))
        assert [len(b[1]) for b in batches] == [16, 16], "whole batches only: 40 images make two of 16"
        assert len(set(torch.cat([b[1] for b in batches]).tolist())) == 32
        for crops, index in batches:
            assert crops.is_contiguous(memory_format=torch.channels_last)
            for crop, i in zip(crops, index.tolist(), strict=True):
                windows = {(dy, dx): padded[i, :, dy:dy + 8, dx:dx + 8] for dy in range(5) for dx in range(5)}
                plain = any(torch.equal(crop, w) for w in windows.values())
                flipped = any(torch.equal(crop, w.flip(2)) for w in windows.values())
                assert plain or flipped, "a crop is a window of the reflect-padded image, maybe mirrored"
                mirrored.setdefault(i, []).append((epoch, flipped and not plain))
    for i, seen in mirrored.items():
        by_epoch = dict(seen)
        for epoch in by_epoch:
            if epoch + 1 in by_epoch:
                assert by_epoch[epoch] != by_epoch[epoch + 1], f"image {i} is mirrored in alternate epochs"


def test_the_schedule_warms_up_from_a_fifth_then_decays_to_7_percent():
    total = 1000
    factors = [workshop.warmup_then_decay(step, total) for step in range(total + 1)]
    assert factors[0] == pytest.approx(0.2) and max(factors) == pytest.approx(1.0)
    assert factors.index(max(factors)) == 230
    assert factors[-1] == pytest.approx(0.07)
    assert all(a < b for a, b in zip(factors[:230], factors[1:231], strict=True))
    assert all(a > b for a, b in zip(factors[230:-1], factors[231:], strict=True))


def test_settings_are_sized_for_the_device_and_refuse_unknown_names():
    assert workshop.speedrun_settings("cpu").widths == (32, 128, 128)
    gpu = workshop.speedrun_settings("cuda")
    assert (gpu.widths, gpu.batch_size, gpu.epochs) == ((64, 256, 256), 1024, 10)
    assert workshop.speedrun_settings("cpu", lookahead=False).lookahead is False
    with pytest.raises(TypeError, match="unknown speedrun settings \\['lookahaed'\\]"):
        workshop.speedrun_settings("cpu", lookahaed=False)


def test_the_optimizer_uses_airbenchs_units_and_speeds_up_batch_norm_shifts():
    settings = workshop.speedrun_settings("cpu")
    net = workshop.SpeedNet(torch.randn(12, 3, 2, 2), settings.widths)
    optimizer = workshop.speedrun_optimizer(net, settings)
    shifts, others = optimizer.param_groups
    lr = 11.5 / (1024 * (1 + 1 / 0.15))
    assert others["lr"] == pytest.approx(lr) and shifts["lr"] == pytest.approx(64 * lr)
    assert others["nesterov"] and others["momentum"] == 0.85
    decay = 0.0153 * settings.batch_size / (1024 * (1 + 1 / 0.15))
    assert others["lr"] * others["weight_decay"] == pytest.approx(decay)
    assert shifts["lr"] * shifts["weight_decay"] == pytest.approx(decay)
    assert len(shifts["params"]) == 6, "two batch norms per block, three blocks"
    trainable = sum(p.requires_grad for p in net.parameters())
    assert len(shifts["params"]) + len(others["params"]) == trainable


def test_lookahead_moves_the_slow_copy_and_restarts_the_network_from_it():
    net = torch.nn.Linear(2, 1)
    lookahead = workshop.Lookahead(net)
    start = net.weight.detach().clone()
    with torch.no_grad():
        net.weight.add_(1.0)
    lookahead.update(net, decay=0.75)
    assert torch.allclose(net.weight, start + 0.25), "a quarter of the way, and the network restarts there"
    with torch.no_grad():
        net.weight.add_(1.0)
    lookahead.update(net, decay=1.0)
    assert torch.allclose(net.weight, start + 0.25), "decay 1 moves nothing and restores the slow weights"


def test_tta_sums_the_views_the_notebook_counts():
    calls = []

    def net(x):
        calls.append(x.clone())
        return x.mean((1, 2, 3))[:, None].repeat(1, 10)

    x = torch.randn(3, 3, 8, 8)
    for level, passes in [(0, 1), (1, 2), (2, 6)]:
        calls.clear()
        scores = workshop.tta_scores(net, x, level)
        assert len(calls) == passes and scores.shape == (3, 10)
    assert torch.equal(calls[1], x.flip(3))
    padded = torch.nn.functional.pad(x, (1,) * 4, mode="reflect")
    assert torch.equal(calls[2], padded[..., 0:8, 0:8]) and torch.equal(calls[4], padded[..., 2:10, 2:10])


def test_the_speedrun_learns_real_cifar10_far_above_chance(test_tensors):
    """Real training: a tenth of the training set, 3 short epochs of 128, measured on 2,000 real test images."""
    mean, std = workshop.channel_stats(workshop.load_cifar10(train=True).data)
    images, labels = workshop.normalised_tensors(workshop.load_cifar10(train=True), mean, std, "cpu")
    settings = workshop.speedrun_settings("cpu", epochs=4, batch_size=128)
    lines = []
    net, seconds = workshop.train_speedrun(images[::10], labels[::10], settings, log=lines.append)
    assert len(lines) == 4 and seconds > 0
    accuracy = workshop.speedrun_accuracy(net, test_tensors[0][:2000], test_tensors[1][:2000])
    assert accuracy > 55, f"{accuracy:.1f} % after 4 epochs on 5,000 images; guessing gives 10 %"


def test_lookahead_is_built_only_when_switched_on(monkeypatch):
    built = []

    class Spy(workshop.Lookahead):
        def __init__(self, net):
            built.append(net)
            super().__init__(net)

    monkeypatch.setattr(workshop, "Lookahead", Spy)
    images, labels = torch.randn(320, 3, 32, 32), torch.randint(0, 10, (320,))
    for on in (True, False):
        built.clear()
        settings = workshop.speedrun_settings("cpu", epochs=2, batch_size=32, lookahead=on, lookahead_start=1)
        workshop.train_speedrun(images, labels, settings, log=lambda line: None)
        assert len(built) == on, "one slow copy, from the first 5th step of epoch lookahead_start on"


def test_progressive_resizing_trains_the_first_share_of_the_epochs_on_small_images(monkeypatch):
    sizes = []

    class Spy(workshop.SpeedNet):
        def forward(self, x):
            sizes.append(tuple(x.shape[-2:]))
            return super().forward(x)

    monkeypatch.setattr(workshop, "SpeedNet", Spy)
    images, labels = torch.randn(320, 3, 32, 32), torch.randint(0, 10, (320,))
    lines = []
    settings = workshop.speedrun_settings("cpu", epochs=4, batch_size=32, small_share=0.5)
    workshop.train_speedrun(images, labels, settings, log=lines.append)
    assert sizes == [(24, 24)] * 20 + [(32, 32)] * 20, "10 batches per epoch: 2 epochs small, then 2 at full size"
    assert [line.split(":")[0] for line in lines] == ["epoch 1 (24 x 24)", "epoch 2 (24 x 24)",
                                                      "epoch 3 (32 x 32)", "epoch 4 (32 x 32)"]
    assert workshop.speedrun_settings("cuda").small_share == 0, "a GPU keeps airbench's recipe: full size throughout"


def test_the_ablation_table_is_markdown_with_the_change_against_the_full_run():
    rows = [("the full speedrun", 80.0, 100.0), ("test-time augmentation (level 0 instead of 2; no retraining)",
                                                 78.5, None), ("label smoothing 0.2 (none instead)", 79.25, 99.5)]
    lines = speedrun.format_ablation(rows).splitlines()
    assert lines[:2] == ["| switched off | test accuracy | change | training time |", "| --- | ---: | ---: | ---: |"]
    assert lines[2] == "| nothing: the full speedrun | 80.00 % |  | 100.0 s |"
    assert lines[3].endswith("| 78.50 % | -1.50 |  |")
    assert lines[4] == "| label smoothing 0.2 (none instead) | 79.25 % | -0.75 | 99.5 s |"


def test_every_ablation_switches_off_a_real_setting():
    settings = workshop.speedrun_settings("cpu")
    for name, changes in speedrun.ABLATIONS:
        assert set(changes) <= set(vars(settings)), name
        assert all(getattr(settings, k) != v for k, v in changes.items()), f"{name}: the default already is that"


def test_notebook_07_quotes_the_committed_ablation_table():
    table = [line for line in (ROOT / "benchmarks" / "results" / "speedrun-ablation-cpu.txt").read_text().splitlines()
             if line.startswith("|")]
    notebook = (ROOT / "notebooks" / "07_going_further.ipynb").read_text(encoding="utf-8")
    assert len(table) == 2 + 2 + len(speedrun.ABLATIONS)
    for line in table:
        assert line in notebook, f"notebook 07 does not show this row of the results: {line}"


def test_the_readmes_quote_the_committed_seed_runs():
    seeds = (ROOT / "benchmarks" / "results" / "speedrun-seeds-cpu.txt").read_text().splitlines()
    runs = [line for line in seeds if line.startswith(("seed ", "5 seeds: "))]
    assert len(runs) == 6 and seeds[0] == "$ python benchmarks/speedrun.py --seeds 0 1 2 3 4"
    for readme in ("README.md", "README.pt-BR.md"):
        text = (ROOT / readme).read_text(encoding="utf-8")
        assert all(line in text for line in runs), f"{readme} does not show the committed seed runs"


def test_the_script_runs_seeds_or_the_ablation_with_the_notebooks_settings():
    for argv in ([], ["--seeds", "0", "--ablation"], ["--ablation", "--epochs", "0"]):
        with pytest.raises(SystemExit):
            speedrun.parse_args(argv)
    seeds = speedrun.parse_args(["--seeds", "0", "1", "--device", "cpu"])
    assert seeds.seeds == [0, 1] and speedrun.settings_for(seeds).epochs == workshop.SPEEDRUN["epochs"]
    ablation = speedrun.parse_args(["--ablation", "--device", "cpu"])
    assert speedrun.settings_for(ablation).epochs == speedrun.ABLATION_EPOCHS
    quick = speedrun.settings_for(speedrun.parse_args(["--ablation", "--quick", "--device", "cpu"]), lookahead=False)
    assert (quick.epochs, quick.batch_size, quick.lookahead) == (speedrun.ABLATION_EPOCHS, 128, False)
