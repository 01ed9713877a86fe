"""The networks of 03_cnn: the numbers the notebook states hold."""

import pytest
import torch
from torch import nn

import workshop


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_net_has_the_tutorials_62006_parameters():
    net = workshop.Net()
    assert count(net) == 62_006
    per_layer = {name: count(getattr(net, name)) for name in ("conv1", "conv2", "fc1", "fc2", "fc3")}
    assert per_layer == {"conv1": 456, "conv2": 2_416, "fc1": 48_120, "fc2": 10_164, "fc3": 850}


@pytest.mark.parametrize("model_class", [workshop.Net, workshop.ModernNet])
@pytest.mark.parametrize("n", [1, 5])
def test_networks_map_n_images_to_n_times_10_scores(model_class, n):
    torch.manual_seed(0)
    model = model_class().eval()
    with torch.no_grad():
        assert model(torch.randn(n, 3, 32, 32)).shape == (n, 10)


def test_conv_block_halves_the_size_and_has_no_bias():
    block = workshop.conv_block(16, 32)
    assert block(torch.randn(2, 16, 32, 32)).shape == (2, 32, 16, 16)
    assert count(block) == 32 * 16 * 3 * 3 + 2 * 32  # conv weights, then BatchNorm's scale and shift
    assert block[0].bias is None
    assert [type(layer) for layer in block] == [nn.Conv2d, nn.MaxPool2d, nn.BatchNorm2d, nn.ReLU]


def test_conv_block_with_global_pool_keeps_one_value_per_channel():
    x = torch.randn(2, 16, 8, 8)
    block = workshop.conv_block(16, 32, global_pool=True).eval()
    assert block(x).shape == (2, 32, 1, 1)
    with torch.no_grad():  # the strongest response anywhere: max over the convolution's whole output
        expected = block[3](block[2](block[0](x).amax(dim=(2, 3), keepdim=True)))
    torch.testing.assert_close(block(x), expected)


def test_modern_net_traces_32_16_8_4_1_with_the_stated_widths():
    model = workshop.ModernNet().eval()
    out, shapes = torch.randn(1, 3, 32, 32), []
    with torch.no_grad():
        for block in model.features:
            out = block(out)
            shapes.append(tuple(out.shape[1:]))
    assert shapes == [(16, 16, 16), (64, 8, 8), (128, 4, 4), (256, 1, 1)]
    assert count(model) == 381_786


def test_modern_net_is_a_small_network_with_batch_norm():
    model = workshop.ModernNet()
    assert 100_000 <= count(model) <= 1_000_000, "03_cnn presents it as 0.1 to 1 M parameters"
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules())


def test_untrained_net_gives_every_class_about_ten_percent():
    torch.manual_seed(0)
    with torch.no_grad():
        probabilities = torch.softmax(workshop.Net()(torch.zeros(4, 3, 32, 32)), dim=1)
    assert ((probabilities - 0.1).abs() < 0.03).all()
