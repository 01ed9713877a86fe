"""05_training: training learns on real data, one evaluation loop, one best recipe, checkpoints round-trip."""

import ast

import pytest
import torch

import workshop
from notebook_code import code_cells


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


@pytest.fixture(scope="module")
def small_data():
    """Every 50th training image (1,000: four batches of 256, the last dropped) and every 250th test image (40)."""
    train, test = workshop.load_cifar10(train=True), workshop.load_cifar10(train=False)
    return (workshop.CIFAR10Images(train.data[::50], train.targets[::50], train=True),
            workshop.CIFAR10Images(test.data[::250], test.targets[::250], train=False))


def test_best_recipe_builds_notebook_05s_setup(small_data):
    recipe = workshop.best_recipe(*small_data, "cpu", epochs=2)
    assert isinstance(recipe.model, workshop.ModernNet) and isinstance(recipe.train_loader, workshop.TensorLoader)
    assert recipe.train_loader.augment and recipe.train_loader.shuffle and recipe.train_loader.drop_last
    assert not recipe.test_loader.augment and not recipe.test_loader.shuffle
    assert len(recipe.train_loader) == 3 and recipe.train_loader.batch_size == 256
    assert recipe.scheduler.total_steps == 2 * 3, "the schedule spans every step of every epoch"
    assert recipe.loss_fn.label_smoothing == 0.1 and recipe.optimizer.param_groups[0]["nesterov"]
    assert recipe.amp_dtype == workshop.autocast_dtype("cpu")
    assert recipe.train_loader.channels_last and recipe.test_loader.channels_last
    assert recipe.model.features[0][0].weight.is_contiguous(memory_format=torch.channels_last)
    images, _ = next(iter(recipe.train_loader))
    assert images.is_contiguous(memory_format=torch.channels_last), "data and model in the same memory order"


def test_best_recipe_starts_from_the_same_weights_and_can_skip_autocast(small_data):
    first = workshop.best_recipe(*small_data, torch.device("cpu"), epochs=1)
    second = workshop.best_recipe(*small_data, "cpu", epochs=1, float32=True)
    assert second.amp_dtype is None
    for a, b in zip(first.model.parameters(), second.model.parameters(), strict=True):
        assert torch.equal(a, b)


def test_best_recipe_applies_to_another_network_and_gives_its_loader_options(small_data):
    recipe = workshop.best_recipe(*small_data, "cpu", epochs=1, network=workshop.Net)
    assert isinstance(recipe.model, workshop.Net) and recipe.train_loader.augment
    val_loader = workshop.TensorLoader(small_data[1], 1000, **recipe.loader_options)
    assert torch.equal(next(iter(val_loader))[0], next(iter(recipe.test_loader))[0]), "normalised the same way"


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu")])
def test_loops_accept_a_device_name_or_a_torch_device(small_data, device):
    recipe = workshop.best_recipe(*small_data, device, epochs=1, float32=True)
    loss = workshop.train_one_epoch(recipe.model, recipe.train_loader, recipe.loss_fn, recipe.optimizer, device,
                                    recipe.scheduler)
    assert loss > 0
    predicted, true = workshop.predictions(recipe.model, recipe.test_loader, device)
    assert predicted.shape == true.shape == (40,)
    assert workshop.evaluate(recipe.model, recipe.test_loader, device) == (predicted == true).sum().item() / 40


class Autocasting(torch.nn.Module):
    """Scores that reveal the precision the model ran in: class 1 under autocast, class 0 in float32."""

    def forward(self, x):
        inside = torch.zeros(len(x), 1) @ torch.zeros(1, 2)  # a matrix product: autocast runs it in 16 bits
        lower = inside.dtype != torch.float32
        return torch.stack([torch.full((len(x),), float(not lower)), torch.full((len(x),), float(lower))], dim=1)


def test_predictions_and_evaluate_run_in_the_precision_they_are_given():
    loader, device = [(torch.zeros(4, 3, 32, 32), torch.ones(4, dtype=torch.long))], "cpu"
    assert workshop.evaluate(Autocasting(), loader, device) == 0.0
    assert workshop.evaluate(Autocasting(), loader, device, amp_dtype=torch.bfloat16) == 1.0
    predicted, _ = workshop.predictions(Autocasting(), loader, device, amp_dtype=torch.bfloat16)
    assert predicted.tolist() == [1, 1, 1, 1], "per-class results use the same precision as the accuracy"


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


# Bad input and odd cases: a clear message, or handled ------------------------------------

def test_an_empty_loader_is_a_clear_error_not_a_division_by_zero():
    model = workshop.Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="no batch"):
        workshop.train_one_epoch(model, [], torch.nn.CrossEntropyLoss(), optimizer, "cpu")
    with pytest.raises(ValueError, match="no images to evaluate"):
        workshop.evaluate(model, [], "cpu")


def test_a_last_batch_of_one_image_does_not_end_the_epoch_of_a_batch_norm_network():
    torch.manual_seed(0)
    model = workshop.ModernNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = [(torch.randn(4, 3, 32, 32), torch.tensor([0, 1, 2, 3])), (torch.randn(1, 3, 32, 32), torch.tensor([5]))]
    loss = workshop.train_one_epoch(model, loader, torch.nn.CrossEntropyLoss(), optimizer, "cpu")
    assert loss > 0


def test_checkpoint_errors_say_what_the_file_is_and_never_suggest_weights_only_false(tmp_path):
    model = workshop.Net()
    cases = {"empty.pt": b"", "page.pt": b"<!DOCTYPE html><html><body>Not Found</body></html>"}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
    torch.save(model.state_dict(), tmp_path / "weights.pt")
    for name, expected in [("empty.pt", "is not a checkpoint"), ("page.pt", "is not a checkpoint"),
                           ("weights.pt", "holds a state_dict alone, not a checkpoint")]:
        with pytest.raises(ValueError) as error:
            workshop.load_checkpoint(tmp_path / name, model)
        assert expected in str(error.value) and "weights_only=False" not in str(error.value)


def test_resuming_a_schedule_of_another_length_is_refused(tmp_path):
    model, optimizer, scheduler = small_setup()  # a schedule of 2 epochs x 3 steps
    workshop.save_checkpoint(tmp_path / "quick.pt", model, optimizer, epoch=1, scheduler=scheduler)
    longer = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.4, total_steps=60)
    with pytest.raises(ValueError, match="schedule has 6 steps, this one 60"):
        workshop.load_checkpoint(tmp_path / "quick.pt", model, optimizer, longer)


def test_one_cycle_moves_the_momentum_from_095_to_085_and_back_as_notebook_05_says():
    model = workshop.ModernNet()
    optimizer, scheduler, _ = workshop.modern_recipe(model, epochs=2, steps_per_epoch=10)
    momenta = []
    for _ in range(20):
        momenta.append(optimizer.param_groups[0]["momentum"])
        optimizer.step()
        scheduler.step()
    assert momenta[0] == pytest.approx(0.95) and min(momenta) == pytest.approx(0.85)
    assert momenta.index(min(momenta)) == 4 and momenta[-1] > 0.94  # lowest where the rate peaks, then back up
    assert optimizer.param_groups[0]["nesterov"]


def test_notebook_05s_first_loop_is_the_plain_loop_in_at_most_ten_lines():
    """The loop a learner meets first: the five steps and nothing else (the additions come one at a time)."""
    source = next(s for s in code_cells("05_training.ipynb") if s.lstrip().startswith("def train_epoch("))
    function = ast.parse(source).body[0]
    body = function.body[1:] if isinstance(function.body[0], ast.Expr) else function.body  # without the docstring
    lines = {node.lineno for statement in body for node in ast.walk(statement) if hasattr(node, "lineno")}
    assert len(lines) + 1 <= 10, f"the first loop has {len(lines) + 1} lines of code"
    calls = ast.unparse(function)
    for step in ("model(images)", "loss_fn(outputs, labels)", "optimizer.zero_grad()", "loss.backward()",
                 "optimizer.step()"):
        assert step in calls
    for addition in ("tqdm", "scheduler", "autocast", "scaler", "checkpoint"):
        assert addition not in calls, f"{addition} belongs to a later section, not the first loop"
