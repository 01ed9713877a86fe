"""How the workshop runs in a class: quick mode for dry runs and CI, where checkpoints go, the exercises' self-checks.

Hand-written infrastructure: every notebook uses it (through `workshop`), none teaches it.
"""

from __future__ import annotations

import math
import numbers
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn


def quick_mode() -> bool:
    """True when WORKSHOP_QUICK=1 asks for a short run, as CI and an instructor's dry run do."""
    return os.environ.get("WORKSHOP_QUICK", "0").strip() not in ("", "0")


def full_or_quick(full, quick):
    """`full` in a normal run, `quick` when WORKSHOP_QUICK=1."""
    return quick if quick_mode() else full


def checkpoint_dir() -> Path:
    """Where notebooks save checkpoints: checkpoints/ at the top of the workshop, or WORKSHOP_CHECKPOINT_DIR.

    The tests set WORKSHOP_CHECKPOINT_DIR to a temporary folder, so that running them never
    overwrites a learner's checkpoints.
    """
    configured = os.environ.get("WORKSHOP_CHECKPOINT_DIR", "").strip()
    return Path(configured).expanduser() if configured else Path(__file__).resolve().parent.parent / "checkpoints"


NOT_ANSWERED = "Not answered yet: replace the {} above with your answer and run the cell again."


def language() -> str:
    """'pt-BR' in the Brazilian Portuguese notebooks, else 'en': the self-checks answer in the notebook's language.

    A notebook's kernel starts in the notebook's folder (JupyterLab, nbval and tools/run_notebooks.py all do so), so
    the notebooks in notebooks/pt-BR/ get Portuguese with code identical to the English. WORKSHOP_LANGUAGE=pt-BR or
    =en overrides it.
    """
    chosen = os.environ.get("WORKSHOP_LANGUAGE", "").strip()
    if chosen:
        return chosen
    return "pt-BR" if Path.cwd().name == "pt-BR" else "en"


def _(template: str, *args) -> str:
    """`template` in the notebook's language, filled in as str.format fills it."""
    if language() == "pt-BR":
        template = PORTUGUESE.get(template, template)
    return template.format(*args)


def _placeholder(answer) -> str | None:
    """'None' or '...' when `answer` is still an exercise's placeholder, else None."""
    if answer is None:
        return "None"
    if answer is Ellipsis:
        return "..."
    return None


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _kind(value) -> str:
    """What sort of value it is, in a learner's words: 'a number', 'a tensor', 'a string'."""
    if isinstance(value, bool):
        return _("True or False (a bool)")
    if _is_number(value):
        return _("a number")
    if isinstance(value, torch.Tensor):
        return _("a tensor")
    if isinstance(value, np.ndarray):
        return _("a NumPy array")
    if isinstance(value, str):
        return _("a string")
    name = type(value).__name__
    return _("an {}" if name[0].lower() in "aeiou" else "a {}", name)


def _describe(value) -> str:
    """Its sort and what identifies it: 'a number (0.5)', 'a tensor of shape (3, 4)', "a string ('cat')"."""
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return _("{} of shape {}", _kind(value), tuple(value.shape))
    if isinstance(value, str):
        return _("a string ({!r})", value[:30])
    if _is_number(value):
        return _("a number ({})", _number_text(value))
    return _kind(value)


def _number_text(value) -> str:
    """A number as a learner would write it: 62,006 or 0.408."""
    if isinstance(value, numbers.Integral) or (math.isfinite(value) and float(value).is_integer()):
        return f"{int(value):,}"
    return f"{float(value):.6g}"


def _measured_text(value) -> str:
    """A measured result, to one decimal: 47.3 (whole numbers stay whole: 35)."""
    if isinstance(value, numbers.Integral) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{float(value):,.1f}"


def _compare(answer, expected, digits, tolerance) -> str | None:
    """None when `answer` matches `expected`; otherwise what is wrong with it, in one sentence."""
    if isinstance(expected, (torch.Tensor, np.ndarray)):
        want = torch.as_tensor(expected).cpu()
        if not isinstance(answer, (torch.Tensor, np.ndarray, list, tuple)):
            return _("expected a tensor of shape {}, got {}", tuple(want.shape), _describe(answer))
        try:
            got = torch.as_tensor(answer).cpu()
        except (TypeError, ValueError, RuntimeError):
            return _("expected a tensor of shape {}, got {}, not a grid of numbers", tuple(want.shape),
                     _describe(answer))
        if got.shape != want.shape:
            return _("your tensor has shape {}; the answer has shape {}", tuple(got.shape), tuple(want.shape))
        if want.is_floating_point() or want.is_complex():
            scale = want.abs().max().item() if want.numel() else 1.0
            close = torch.isclose(got.double(), want.double(), rtol=1e-4, atol=1e-4 * scale)
        else:  # whole numbers (pixels, labels, counts) must be exact
            close = got.double() == want.double()
        wrong = int((~close).sum())
        if wrong:
            return _("the shape {} is right, but {:,} of the {:,} values differs" if wrong == 1 else
                     "the shape {} is right, but {:,} of the {:,} values differ",
                     tuple(want.shape), wrong, want.numel())
        return None
    if _is_number(expected):
        if isinstance(answer, (torch.Tensor, np.ndarray)):
            size = answer.numel() if isinstance(answer, torch.Tensor) else answer.size
            tip = _("; .item() gives the number inside a one-element tensor") if size == 1 else ""
            return _("expected a number, got {}", _describe(answer)) + tip
        if not _is_number(answer):
            return _("expected a number, got {}", _describe(answer))
        if digits is not None or tolerance is not None:
            allowed = tolerance if tolerance is not None else 0.5 * 10.0**-digits
            right = abs(float(answer) - float(expected)) <= allowed * (1 + 1e-9) + 1e-12
            precision = _(" to {} decimal places", digits) if tolerance is None else _(" (to within {})", tolerance)
        elif isinstance(expected, numbers.Integral):
            right, precision = float(answer) == float(expected), ""
        else:
            right = abs(float(answer) - float(expected)) <= 1e-4 * max(1.0, abs(float(expected)))
            precision = ""
        return None if right else _("{} is not the answer", _number_text(answer)) + precision
    if isinstance(expected, (tuple, list)) and isinstance(answer, (tuple, list)):  # torch.Size is a tuple too
        return None if tuple(answer) == tuple(expected) else _("{} is not the answer", tuple(answer))
    if type(answer) is not type(expected) and not (isinstance(expected, bool) and isinstance(answer, np.bool_)):
        return _("expected {}, got {}", _kind(expected), _describe(answer))
    return None if answer == expected else _("{!r} is not the answer", answer)


def check(answer, expected, hint: str = "", *, digits: int | None = None, tolerance: float | None = None,
          mistakes: dict | None = None) -> None:
    """Say whether an exercise's answer is right and, if not, what is wrong with it; every notebook's exercises use it.

    `None` (or `...`), the placeholder, means "not answered yet". A tensor or array must have the
    answer's shape, then its values (floats to 1e-4 of the largest value, whole numbers exactly); a
    whole number must be exact, another number right to 1e-4, or, for an answer worked out by hand,
    to `digits` decimal places (`digits=3` accepts 0.408 and 0.4076 for 0.40761) or within
    `tolerance`. Anything else must be equal. `mistakes` maps wrong answers that learners often give
    to what each one shows ({4608: "That counts the weights only ..."}).
    """
    placeholder = _placeholder(answer)
    if placeholder:
        print(_(NOT_ANSWERED, placeholder))
        return
    problem = _compare(answer, expected, digits, tolerance)
    if problem is None:
        print(_("Correct!"))
        return
    for wrong, explanation in (mistakes or {}).items():
        if _compare(answer, wrong, digits, tolerance) is None:
            print(_("Not quite: {}", explanation))
            return
    print(_("Not quite: {}. {}", problem, hint).rstrip())


def check_at_least(value, target, what: str, hint: str = "", *, unit: str = " %") -> None:
    """Say whether a measured result (an accuracy, after training) reaches an exercise's target.

    "Target met: validation accuracy 47.3 % ≥ 45 %." or "Not yet: ... is below the target ...",
    with the hint. `None` (or `...`) means "not answered yet"; a one-element tensor counts as its number.
    """
    placeholder = _placeholder(value)
    if placeholder:
        print(_(NOT_ANSWERED, placeholder))
        return
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if not _is_number(value):
        print(_("Not quite: expected {} as a number, got {}. {}", what, _describe(value), hint).rstrip())
        return
    if math.isnan(value):
        print(_("Not yet: {} is nan (not a number), which usually means the training blew up. {}", what, hint).rstrip())
        return
    if value >= target:
        print(_("Target met: {} {}{} ≥ {}{}.", what, _measured_text(value), unit, _measured_text(target), unit))
        return
    fraction = _(" (It looks like a fraction: multiply by 100 for a percentage.)") if (
        unit.strip() == "%" and 0 <= value <= 1 < target) else ""
    print((_("Not yet: {} {}{} is below the target of {}{}.", what, _measured_text(value), unit, _measured_text(target),
             unit) + f"{fraction} {hint}").rstrip())


def _layer_text(module: nn.Module) -> str:
    """A layer as a notebook writes it: nn.Linear(400, 120), nn.Conv2d(3, 6, 5)."""
    if isinstance(module, nn.Linear):
        return f"nn.Linear({module.in_features}, {module.out_features})"
    if isinstance(module, nn.Conv2d):
        return f"nn.Conv2d({module.in_channels}, {module.out_channels}, {module.kernel_size[0]})"
    return repr(module)


def check_model(make_model, inputs: torch.Tensor, expected_shape, hint: str = "", *,
                parameters: int | None = None) -> None:
    """Build a model (a class, or a function that returns one), run it on `inputs` and check what comes out.

    It must run, give an output of `expected_shape` and, when `parameters` is given, have that many
    parameters. A layer still set to `None` means "not answered yet"; a layer that gets inputs of
    the wrong size is named, with the size it expects.
    """
    if make_model is None:
        print(_(NOT_ANSWERED, "None"))
        return
    try:
        model = make_model if isinstance(make_model, nn.Module) else make_model()
    except (TypeError, ValueError, RuntimeError) as error:
        print(_("Not quite: building the model fails with {}: {}. {}", type(error).__name__, error, hint).rstrip())
        return
    empty = [f"{parent}.{child}" if parent else child  # layers assigned None, such as self.fc1 = None
             for parent, module in model.named_modules() for child, layer in module._modules.items() if layer is None]
    if empty:
        print(_("Not answered yet: replace the None of {} above with a layer and run the cell again."
                if len(empty) == 1 else
                "Not answered yet: replace the None of {} above with layers and run the cell again.", ", ".join(empty)))
        return
    model = model.to(inputs.device).eval()
    running = []  # the layers entered and not yet finished, innermost last
    hooks = [h for name, module in model.named_modules() if name for h in (
        module.register_forward_pre_hook(lambda m, args, name=name: running.append((name, m, args))),
        module.register_forward_hook(lambda m, args, out: running.pop() and None))]  # None: keep the output
    try:
        with torch.no_grad():
            output = model(inputs)
    except RuntimeError as error:
        print(_("Not quite: {}. {}", _failure(running, inputs, error), hint).rstrip())
        return
    finally:
        for h in hooks:
            h.remove()
    if not isinstance(output, torch.Tensor):
        print(_("Not quite: the model returns {}, not a tensor. {}", _describe(output), hint).rstrip())
        return
    if tuple(output.shape) != tuple(expected_shape):
        print(_("Not quite: your model's output has shape {}; the answer has shape {}. {}", tuple(output.shape),
                tuple(expected_shape), hint).rstrip())
        return
    count = sum(p.numel() for p in model.parameters())
    if parameters is not None and count != parameters:
        print(_("Not quite: your model has {:,} parameters; the answer has {:,}. {}", count, parameters, hint).rstrip())
        return
    print(_("Correct!"))


def _failure(running, inputs, error) -> str:
    """Which layer a forward pass failed in, and why, without giving the answer away."""
    if not running:
        return _("the model fails on a batch of shape {}: {}", tuple(inputs.shape), str(error).splitlines()[0])
    name, module, args = running[-1]
    given = args[0] if args and isinstance(args[0], torch.Tensor) else None
    if isinstance(module, nn.Linear) and given is not None and given.shape[-1] != module.in_features:
        return _("{} is {}: it takes {:,} numbers per image, but receives a different number", name,
                 _layer_text(module), module.in_features)
    if isinstance(module, nn.Conv2d) and given is not None and given.dim() in (3, 4) \
            and given.shape[-3] != module.in_channels:
        return _("{} is {}: it takes {} channels, but receives {}", name, _layer_text(module), module.in_channels,
                 given.shape[-3])
    return _("the model fails in {} ({}): {}", name, _layer_text(module), str(error).splitlines()[0])


# The self-checks' messages in Brazilian Portuguese, by their English template (tests/test_translation.py checks that
# every template has its translation, with the same {} fields in the same order).
PORTUGUESE = {
    "Correct!": "Correto!",
    "Not answered yet: replace the {} above with your answer and run the cell again.":
        "Ainda sem resposta: troque o {} acima pela sua resposta e execute a célula de novo.",
    "Not answered yet: replace the None of {} above with a layer and run the cell again.":
        "Ainda sem resposta: troque o None de {} acima por uma camada e execute a célula de novo.",
    "Not answered yet: replace the None of {} above with layers and run the cell again.":
        "Ainda sem resposta: troque o None de {} acima por camadas e execute a célula de novo.",
    "Not quite: {}": "Quase: {}",
    "Not quite: {}. {}": "Quase: {}. {}",
    "Not quite: expected {} as a number, got {}. {}": "Quase: o esperado era {} como um número, veio {}. {}",
    "Not quite: the model returns {}, not a tensor. {}": "Quase: o modelo devolve {}, não um tensor. {}",
    "Not quite: your model's output has shape {}; the answer has shape {}. {}":
        "Quase: a saída do seu modelo tem formato {}; a resposta tem formato {}. {}",
    "Not quite: your model has {:,} parameters; the answer has {:,}. {}":
        "Quase: o seu modelo tem {:,} parâmetros; a resposta tem {:,}. {}",
    "Not quite: building the model fails with {}: {}. {}": "Quase: a construção do modelo falha com {}: {}. {}",
    "Not yet: {} is nan (not a number), which usually means the training blew up. {}":
        "Ainda não: {} é nan (não é um número), o que costuma querer dizer que o treino divergiu. {}",
    "Not yet: {} {}{} is below the target of {}{}.": "Ainda não: {} {}{} está abaixo da meta de {}{}.",
    " (It looks like a fraction: multiply by 100 for a percentage.)":
        " (Parece uma fração: multiplique por 100 para ter uma porcentagem.)",
    "Target met: {} {}{} ≥ {}{}.": "Meta atingida: {} {}{} ≥ {}{}.",
    "the model fails in {} ({}): {}": "o modelo falha em {} ({}): {}",
    "the model fails on a batch of shape {}: {}": "o modelo falha em um lote de formato {}: {}",
    "{} is {}: it takes {:,} numbers per image, but receives a different number":
        "{} é {}: recebe {:,} números por imagem, mas está recebendo outra quantidade",
    "{} is {}: it takes {} channels, but receives {}": "{} é {}: recebe {} canais, mas está recebendo {}",
    "expected a tensor of shape {}, got {}": "o esperado era um tensor de formato {}, veio {}",
    "expected a tensor of shape {}, got {}, not a grid of numbers":
        "o esperado era um tensor de formato {}, veio {}, que não é uma grade de números",
    "your tensor has shape {}; the answer has shape {}": "o seu tensor tem formato {}; a resposta tem formato {}",
    "the shape {} is right, but {:,} of the {:,} values differs":
        "o formato {} está certo, mas {:,} dos {:,} valores difere",
    "the shape {} is right, but {:,} of the {:,} values differ":
        "o formato {} está certo, mas {:,} dos {:,} valores diferem",
    "expected a number, got {}": "o esperado era um número, veio {}",
    "; .item() gives the number inside a one-element tensor": "; .item() dá o número de um tensor de um só elemento",
    "expected {}, got {}": "o esperado era {}, veio {}",
    "{} is not the answer": "{} não é a resposta",
    "{!r} is not the answer": "{!r} não é a resposta",
    " to {} decimal places": " com {} casas decimais",
    " (to within {})": " (com tolerância de {})",
    "True or False (a bool)": "True ou False (um bool)",
    "a number": "um número",
    "a tensor": "um tensor",
    "a NumPy array": "um array NumPy",
    "a string": "uma string",
    "a string ({!r})": "uma string ({!r})",
    "a number ({})": "um número ({})",
    "{} of shape {}": "{} de formato {}",
    "an {}": "um {}",
    "a {}": "um {}",
}
