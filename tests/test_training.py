"""05_training: the notebook's loops are workshop.py's, checkpoints round-trip, and training learns on real data."""

import torch

import workshop
from notebook_code import module_definition, notebook_definition

NOTEBOOK = "05_training.ipynb"


def test_notebook_teaches_the_module_code():
    for name in ("train_one_epoch", "evaluate", "FlipAveraged", "save_checkpoint", "load_checkpoint"):
        assert notebook_definition(NOTEBOOK, name) == module_definition(name), name


def test_short_training_on_real_cifar10_learns():
    """A quick run on 10,000 real training images: the loss falls and test accuracy is far above chance (10 %)."""
    train_set, test_set = workshop.load_cifar10(train=True), workshop.load_cifar10(train=False)
    mean, std = workshop.channel_stats(train_set.data)
    train_set.data, train_set.targets = train_set.data[::5], train_set.targets[::5]
    test_set.data, test_set.targets = test_set.data[::5], test_set.targets[::5]  # 2,000, all ten classes
    torch.manual_seed(0)
    train_loader = workshop.TensorLoader(train_set, 128, mean, std, shuffle=True, augment=True, drop_last=True)
    test_loader = workshop.TensorLoader(test_set, 500, mean, std)
    device, model, epochs = torch.device("cpu"), workshop.ModernNet(), 2
    optimizer, scheduler, loss_fn = workshop.modern_recipe(model, epochs, len(train_loader))
    losses = [workshop.train_one_epoch(model, train_loader, loss_fn, optimizer, device, scheduler)
              for _ in range(epochs)]
    accuracy = workshop.evaluate(model, test_loader, device)
    assert losses[1] < losses[0]
    assert accuracy > 0.35, f"test accuracy {accuracy:.1%} after a short training: expected over 35 %"
    predicted, true = workshop.predictions(model, test_loader, device)
    assert sorted(set(true.tolist())) == list(range(10))
    assert (predicted == true).sum().item() == round(accuracy * len(true))  # the same count, made directly


def small_setup(seed=0):
    torch.manual_seed(seed)
    model = workshop.ModernNet()
    optimizer, scheduler, _ = workshop.modern_recipe(model, epochs=2, steps_per_epoch=3)
    return model, optimizer, scheduler


def take_steps(model, optimizer, scheduler, steps=2):
    torch.manual_seed(1)
    for _ in range(steps):
        loss = model(torch.randn(8, 3, 32, 32)).logsumexp(dim=1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()


def test_checkpoint_restores_model_optimizer_scheduler_and_epoch(tmp_path):
    model, optimizer, scheduler = small_setup()
    take_steps(model, optimizer, scheduler)
    path = tmp_path / "checkpoints" / "model.pt"
    workshop.save_checkpoint(path, model, optimizer, epoch=3, scheduler=scheduler)
    assert [p.name for p in path.parent.iterdir()] == ["model.pt"], "no temporary file may remain"

    fresh_model, fresh_optimizer, fresh_scheduler = small_setup(seed=1)
    assert workshop.load_checkpoint(path, fresh_model, fresh_optimizer, fresh_scheduler) == 3
    for a, b in zip(model.state_dict().values(), fresh_model.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b)
    assert fresh_scheduler.get_last_lr() == scheduler.get_last_lr()
    # Resuming continues exactly as the uninterrupted run does.
    take_steps(model, optimizer, scheduler)
    take_steps(fresh_model, fresh_optimizer, fresh_scheduler)
    for a, b in zip(model.parameters(), fresh_model.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_checkpoint_of_model_alone_loads_with_weights_only(tmp_path):
    model, optimizer, _ = small_setup()
    workshop.save_checkpoint(tmp_path / "a.pt", model, optimizer, epoch=1)
    state = torch.load(tmp_path / "a.pt", weights_only=True)
    assert set(state) == {"model", "optimizer", "epoch"}


def test_autocast_dtype_uses_bfloat16_on_cpu_only_where_native():
    native = torch.ops.mkldnn._is_mkldnn_bf16_supported()
    assert workshop.autocast_dtype("cpu") == (torch.bfloat16 if native else None)


def test_modern_recipe_peaks_at_max_lr_and_ends_near_zero():
    model = workshop.ModernNet()
    optimizer, scheduler, loss_fn = workshop.modern_recipe(model, epochs=2, steps_per_epoch=10, max_lr=0.4)
    rates = []
    for _ in range(20):
        rates.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    assert abs(max(rates) - 0.4) < 1e-9 and rates.index(max(rates)) < 6  # up for a quarter of the steps
    assert rates[-1] < 0.01
    assert loss_fn.label_smoothing == 0.1


class TopLeftPixel(torch.nn.Module):
    """Scores class 1 by an image's top-left pixel and class 0 as zero: it sees only one corner."""

    def forward(self, x):
        return torch.stack([torch.zeros(len(x)), x[:, 0, 0, 0]], dim=1)


def test_flip_averaged_adds_the_mirror_images_scores():
    images = torch.zeros(4, 3, 32, 32)
    images[:, 0, 0, 0], images[:, 0, 0, -1] = -1.0, 3.0  # dark top-left corner, bright top-right corner
    loader, device = [(images, torch.ones(4, dtype=torch.long))], torch.device("cpu")
    assert workshop.evaluate(TopLeftPixel(), loader, device) == 0.0  # -1 < 0: class 0, wrong
    assert workshop.evaluate(workshop.FlipAveraged(TopLeftPixel()), loader, device) == 1.0  # -1 + 3 > 0: class 1, right


def test_flip_averaged_matches_the_sum_of_both_views_on_modern_net():
    torch.manual_seed(0)
    model, images, labels = workshop.ModernNet().eval(), torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,))
    with torch.no_grad():
        expected = ((model(images) + model(images.flip(dims=[3]))).argmax(dim=1) == labels).float().mean().item()
    loader = [(images[:4], labels[:4]), (images[4:], labels[4:])]
    assert abs(workshop.evaluate(workshop.FlipAveraged(model), loader, torch.device("cpu")) - expected) < 1e-9
