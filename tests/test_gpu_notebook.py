"""Notebook 06's timing and memory helpers measure what they claim."""

import pytest
import torch

import workshop


@pytest.mark.parametrize("device", ["cpu", "cuda", "cuda:1", "mps", torch.device("cuda")])
def test_synchronize_waits_for_the_device_it_is_named(monkeypatch, device):
    waited = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda d=None: waited.append(("cuda", torch.device(d))))
    monkeypatch.setattr(torch.mps, "synchronize", lambda: waited.append(("mps", None)))
    workshop.synchronize(device)
    expected = {"cpu": [], "mps": [("mps", None)]}.get(torch.device(device).type, [("cuda", torch.device(device))])
    assert waited == expected  # the CPU needs no waiting: its operations end before Python moves on


def test_time_training_step_trains_and_reports_images_per_second():
    torch.manual_seed(0)
    model = workshop.Net()
    before = [p.detach().clone() for p in model.parameters()]
    images, labels = torch.zeros(8, 3, 32, 32), torch.arange(8) % 10
    clock = iter(range(1000))  # a clock that moves by 1 s per reading: every timed step takes exactly 1 s
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(workshop.time, "perf_counter", lambda: next(clock))
        rate = workshop.time_training_step(model, images, labels, warmup=1, repeats=3)
    assert rate == 8.0, "8 images in a 1-second step"
    assert any(not torch.equal(b, p) for b, p in zip(before, model.parameters(), strict=True)), "it trains"


def test_peak_memory_on_the_cpu_is_the_process_peak():
    workshop.reset_peak_memory("cpu")  # does nothing on the CPU, and says nothing
    peak = workshop.peak_memory_mb("cpu")
    assert peak is None or 10 < peak < 1e6  # this process holds at least PyTorch: more than 10 MB
