"""Notebook 06's timing and memory helpers measure what they claim."""

import torch

import workshop


def test_synchronize_accepts_every_kind_of_device_name():
    for device in ("cpu", torch.device("cpu"), workshop.pick_device()):
        workshop.synchronize(device)


def test_time_training_step_trains_and_reports_images_per_second():
    torch.manual_seed(0)
    model = workshop.Net()
    before = [p.detach().clone() for p in model.parameters()]
    images, labels = torch.zeros(8, 3, 32, 32), torch.arange(8) % 10
    rate = workshop.time_training_step(model, images, labels, warmup=1, repeats=2)
    assert rate > 0
    assert any(not torch.equal(b, p) for b, p in zip(before, model.parameters(), strict=True)), "it trains"


def test_peak_memory_on_the_cpu_is_the_process_peak():
    workshop.reset_peak_memory("cpu")  # does nothing on the CPU, and says nothing
    peak = workshop.peak_memory_mb("cpu")
    assert peak is None or 10 < peak < 1e6  # this process holds at least PyTorch: more than 10 MB
