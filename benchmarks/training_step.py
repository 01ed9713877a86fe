"""One training step of ModernNet on the CPU: float32, bfloat16 and torch.compile, natively and on AVX2 only.

    python benchmarks/training_step.py                # every measurement (about 2 minutes on a 2-core CPU)
    python benchmarks/training_step.py --no-compile   # without torch.compile (it needs a C++ compiler)
    python benchmarks/training_step.py --quick        # a smoke run: batches of 8, one timed step each

Notebook 06 measures mixed precision on the machine it runs on. This script measures two things the
notebook does not:
(a) the same step on a CPU without native bfloat16, such as most laptops: a second Python process limited
    to the AVX2 instructions (ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2, which must be set before
    PyTorch starts), where every bfloat16 conversion and product is emulated;
(b) torch.compile, which notebook 06 leaves switched off: how long the first step takes (mostly compiling,
    with an empty compile cache, as the first time on a machine), the compiled step's speed, and after how
    many epochs the compiling has paid for itself.
Every figure is workshop.time_training_step (notebook 06) on a fresh, seeded ModernNet and one batch of 128
real CIFAR-10 test images in the default memory layout, as notebook 06's section 5 measures it: images per
second, the median of 10 timed steps after 3 warm-up steps (of 3 after 1 where bfloat16 is emulated, which is
slow). Each instruction set runs in a fresh Python process of its own. It needs CIFAR-10 as the notebooks do.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

import workshop  # installed in editable mode by requirements.txt, like for the notebooks

AVX2_ONLY = {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}
EPOCH_IMAGES = 50_000
RESULT_PREFIX = "RESULT "


def cpu_name() -> str:
    """The processor's name where the system tells it (Linux: /proc/cpuinfo), else what Python knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-compile", dest="compile", action="store_false", help="skip torch.compile")
    parser.add_argument("--quick", action="store_true", help="a smoke run: batches of 8, one timed step each")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)  # measure here, print JSON
    return parser.parse_args(argv)


def one_batch(batch_size: int):
    """A fresh, seeded ModernNet and `batch_size` shuffled, normalised test images, as notebook 06 builds them."""
    test_set = workshop.load_cifar10(train=False)
    mean, std = workshop.channel_stats(workshop.load_cifar10(train=True).data)
    torch.manual_seed(0)
    images, labels = next(iter(workshop.TensorLoader(test_set, batch_size, mean, std, shuffle=True)))
    torch.manual_seed(0)
    return workshop.ModernNet(), images, labels


def bfloat16_is_emulated() -> bool:
    """True where this CPU (or the instructions it is limited to) has no native bfloat16."""
    return workshop.autocast_dtype("cpu") is None


def measure(quick: bool, compile_too: bool) -> dict:
    """Images per second in float32 and bfloat16 (and compiled, if asked), in this process."""
    batch_size = 8 if quick else 128
    steps = {"warmup": 1, "repeats": 1} if quick else {"warmup": 3, "repeats": 10}
    slow_steps = {"warmup": 1, "repeats": 1} if quick else {"warmup": 1, "repeats": 3}
    emulated = bfloat16_is_emulated()
    result = {"instructions": torch.backends.cpu.get_cpu_capability(), "emulated": emulated,
              "batch_size": batch_size, "steps": steps, "bfloat16_steps": slow_steps if emulated else steps}
    result["float32"] = workshop.time_training_step(*one_batch(batch_size), **steps)
    result["bfloat16"] = workshop.time_training_step(*one_batch(batch_size), amp_dtype=torch.bfloat16,
                                                     **result["bfloat16_steps"])
    if compile_too:
        model, images, labels = one_batch(batch_size)
        compiled = torch.compile(model)
        start = time.perf_counter()
        workshop.time_training_step(compiled, images, labels, warmup=0, repeats=1)  # the first step compiles
        result["compile_seconds"] = time.perf_counter() - start
        result["compiled"] = workshop.time_training_step(compiled, images, labels, **steps)
    return result


def measure_in_fresh_process(argv: list[str], environment: dict[str, str]) -> dict:
    """Run `measure` in a new Python process with `environment` added, and read its result."""
    command = [sys.executable, str(Path(__file__).resolve()), *argv, "--child"]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False, env=os.environ | environment)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"the measurement failed (exit status {done.returncode}); its errors are above")
    return json.loads(lines[-1][len(RESULT_PREFIX):])


def times(ratio: float) -> str:
    """2.0 -> '2.00x faster', 0.05 -> '20.0x slower'."""
    return f"{ratio:.2f}x faster" if ratio >= 1 else f"{1 / ratio:.1f}x slower"


def format_table(results: list[dict]) -> str:
    """float32 and bfloat16 for each instruction set, bfloat16 compared with float32."""
    rows = [("instructions", "precision", "speed", "bfloat16 vs float32"), None]
    for r in results:
        native = "emulated" if r["emulated"] else "native"
        rows.append((r["instructions"], "float32", f"{r['float32']:,.0f} images/s", ""))
        rows.append((r["instructions"], f"bfloat16 ({native})", f"{r['bfloat16']:,.0f} images/s",
                     times(r["bfloat16"] / r["float32"])))
    widths = [max(len(row[i]) for row in rows if row) for i in range(4)]
    lines = []
    for row in rows:
        if row is None:
            lines.append("  ".join("-" * w for w in widths))
        else:
            lines.append("  ".join([row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].rjust(widths[2]),
                                    row[3].ljust(widths[3])]).rstrip())
    return "\n".join(lines)


def format_compile(r: dict) -> str:
    """What compiling cost and gained, and after how many epochs of 50,000 images it pays for itself."""
    plain, compiled = EPOCH_IMAGES / r["float32"], EPOCH_IMAGES / r["compiled"]
    text = (f"torch.compile ({r['instructions']}, float32): first step {r['compile_seconds']:.1f} s (mostly "
            f"compiling), then {r['compiled']:,.0f} images/s against {r['float32']:,.0f} images/s without compiling, "
            f"{r['compiled'] / r['float32']:.2f}x\n"
            f"an epoch of {EPOCH_IMAGES:,} images: {plain:.1f} s of steps without compiling, {compiled:.1f} s compiled")
    if compiled < plain:
        text += f"; the compiling pays for itself after {r['compile_seconds'] / (plain - compiled):.1f} epochs"
    return text


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    if args.child:
        print(RESULT_PREFIX + json.dumps(measure(args.quick, args.compile)), flush=True)
        return
    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores, {torch.get_num_threads()} PyTorch threads; {platform.system()} "
          f"{platform.machine()}; Python {platform.python_version()}, torch {torch.__version__}", flush=True)
    with tempfile.TemporaryDirectory(prefix="inductor-") as cache:  # an empty cache: compile as the first time
        results = [measure_in_fresh_process(argv, {"TORCHINDUCTOR_CACHE_DIR": cache})]
    results.append(measure_in_fresh_process(argv + ["--no-compile"], AVX2_ONLY))
    first = results[0]
    steps, slow = first["steps"], results[-1]["bfloat16_steps"]
    print(f"ModernNet, one training step on {first['batch_size']} real CIFAR-10 test images, default memory "
          f"layout; images/s: the median of {steps['repeats']} timed step(s) after {steps['warmup']} warm-up "
          f"step(s) (where bfloat16 is emulated: {slow['repeats']} after {slow['warmup']})")
    print(f"the second pair of rows: a fresh process limited to AVX2 "
          f"({' '.join(f'{k}={v}' for k, v in AVX2_ONLY.items())})")
    print()
    print(format_table(results))
    if "compiled" in first:
        print()
        print(format_compile(first))


if __name__ == "__main__":
    main()
