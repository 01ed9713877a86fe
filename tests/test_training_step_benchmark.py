"""benchmarks/training_step.py, which measures the figures notebook 06 quotes for bfloat16 without native
support and for torch.compile: its parts, and a smoke run of the AVX2-only process."""

import pytest
import torch

from benchmarks import training_step


def result(instructions="AVX512", emulated=False, float32=2000.0, bfloat16=2500.0, **more):
    return {"instructions": instructions, "emulated": emulated, "batch_size": 128, "float32": float32,
            "bfloat16": bfloat16, "steps": {"warmup": 3, "repeats": 10},
            "bfloat16_steps": {"warmup": 1, "repeats": 3} if emulated else {"warmup": 3, "repeats": 10}, **more}


def test_options_are_read():
    args = training_step.parse_args([])
    assert args.compile and not args.quick and not args.child
    args = training_step.parse_args(["--no-compile", "--quick"])
    assert not args.compile and args.quick


def test_the_table_compares_bfloat16_with_float32_for_each_instruction_set():
    table = training_step.format_table([result(), result("AVX2", True, 800.0, 50.0)]).splitlines()
    assert len(table) == 6 and table[0].startswith("instructions")
    assert "AVX512" in table[3] and "bfloat16 (native)" in table[3] and "2,500 images/s" in table[3]
    assert table[3].endswith("1.25x faster")
    assert "bfloat16 (emulated)" in table[5] and table[5].endswith("16.0x slower")


def test_compiling_pays_for_itself_after_the_epochs_it_saves():
    text = training_step.format_compile(result(float32=2000.0, compiled=2500.0, compile_seconds=25.0))
    # an epoch of 50,000 images: 25.0 s of steps, compiled 20.0 s; 25 s of compiling / 5 s saved = 5 epochs
    assert "first step 25.0 s" in text and "2,500 images/s against 2,000 images/s" in text and "1.25x" in text
    assert text.endswith("25.0 s of steps without compiling, 20.0 s compiled; the compiling pays for itself "
                         "after 5.0 epochs")
    slower = training_step.format_compile(result(float32=2000.0, compiled=1000.0, compile_seconds=25.0))
    assert "pays for itself" not in slower


def test_the_avx2_process_is_limited_to_avx2_and_emulates_bfloat16():
    if "AVX" not in torch.backends.cpu.get_cpu_capability():
        pytest.skip("not an x86 CPU with AVX2")
    r = training_step.measure_in_fresh_process(["--quick", "--no-compile"], training_step.AVX2_ONLY)
    assert r["instructions"] == "AVX2" and r["emulated"], "the limit must reach PyTorch and oneDNN"
    assert r["batch_size"] == 8 and r["bfloat16"] > 0 and r["float32"] > 0 and "compiled" not in r
