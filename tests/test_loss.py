"""04_loss_and_optimizer: the hand-made softmax and cross-entropy agree with PyTorch's; the stated numbers hold."""

import ast
import math

import pytest
import torch
from torch import nn

import workshop
from notebook_code import code_cells

NOTEBOOK = "04_loss_and_optimizer.ipynb"


def notebook_function(name: str):
    """Run the notebook's own definitions of functions (the last of each name) and return `name`."""
    namespace = {"torch": torch}
    for source in code_cells(NOTEBOOK):
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef) and node.name in ("softmax", "cross_entropy"):
                exec(ast.unparse(node), namespace)
    assert name in namespace, f"{NOTEBOOK} defines no {name}"
    return namespace[name]


@pytest.mark.parametrize("scale", [0.1, 1.0, 10.0])
def test_hand_made_softmax_matches_torch(scale):
    torch.manual_seed(0)
    logits = scale * torch.randn(32, 10)
    probabilities = notebook_function("softmax")(logits)
    torch.testing.assert_close(probabilities, torch.softmax(logits, dim=1))
    torch.testing.assert_close(probabilities.sum(dim=1), torch.ones(32))


@pytest.mark.parametrize("scale", [0.1, 1.0, 10.0])
def test_hand_made_cross_entropy_matches_nn_cross_entropy_loss(scale):
    torch.manual_seed(0)
    logits, labels = scale * torch.randn(64, 10), torch.randint(0, 10, (64,))
    expected = nn.CrossEntropyLoss()(logits, labels)
    torch.testing.assert_close(notebook_function("cross_entropy")(logits, labels), expected)


def test_equal_scores_give_a_loss_of_ln_10():
    loss = notebook_function("cross_entropy")(torch.zeros(5, 10), torch.tensor([0, 3, 5, 7, 9]))
    assert loss.item() == pytest.approx(math.log(10), abs=1e-6)


@pytest.mark.parametrize("model_class", [workshop.Net])  # ModernNet starts higher, at 2.61
def test_untrained_network_starts_near_ln_10_on_real_images(model_class):
    test_set = workshop.load_cifar10(train=False)
    mean, std = workshop.channel_stats(test_set.data)
    images, labels = next(iter(workshop.TensorLoader(test_set, 256, mean, std)))
    torch.manual_seed(0)
    with torch.no_grad():
        loss = nn.CrossEntropyLoss()(model_class()(images), labels)
    assert abs(loss.item() - math.log(10)) < 0.2
