"""The benchmark's own logic: the idle check, the FLOP count, the run order, and the tables of
docs/benchmarks.md and the figures the README quotes, which must agree with output/."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import pytest
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BENCHMARKS = ROOT / "docs" / "benchmarks.md"
sys.path.insert(0, str(ROOT / "bench"))
import benchmark
import machine
import report
import threads as threads_bench

from mnist.config import recipe


def test_an_idle_machine_passes():
    check = machine.idle_verdict(load=0.1, calibration=100.0, idle_calibration=105.0, cores=2)
    assert check.idle and check.reasons == ()


def test_a_high_load_is_busy():
    check = machine.idle_verdict(load=1.2, calibration=100.0, idle_calibration=100.0, cores=2)
    assert not check.idle and "load average 1.20" in check.reasons[0]


def test_a_slow_calibration_is_busy_even_at_low_load():
    check = machine.idle_verdict(load=0.0, calibration=60.0, idle_calibration=100.0, cores=2)
    assert not check.idle and "60.0 GFLOP/s" in check.reasons[0]


def test_without_an_idle_figure_only_the_load_counts():
    assert machine.idle_verdict(load=0.1, calibration=1.0, idle_calibration=None, cores=2).idle
    assert not machine.idle_verdict(load=0.9, calibration=1.0, idle_calibration=None, cores=2).idle


def test_training_flops_of_one_conv_by_hand():
    # One 28x28 conv to 10 channels, 1x1 output: 2*784*10 FLOPs forward, the same again for the weight
    # gradient; no input gradient (the images need none).
    model = nn.Sequential(nn.Conv2d(1, 10, 28, bias=False), nn.Flatten(), nn.LogSoftmax(1))
    assert machine.training_flops_per_image(model) == 2 * (2 * 784 * 10)


def test_matmul_gflops_is_a_positive_rate():
    assert machine.matmul_gflops(64, torch.float32, seconds=0.01, repeats=2) > 0


def test_models_are_interleaved_seed_by_seed():
    order = benchmark.interleaved(["reference", "seed", "fast"], {"reference": 2, "seed": 1, "fast": 3})
    assert order == [("reference", 1), ("seed", 1), ("fast", 1), ("reference", 2), ("fast", 2), ("fast", 3)]
    by_rule = benchmark.interleaved(["fast", "tiny"], {"fast": 2, "tiny": 1}, benchmark.FIRST_SEED)
    assert by_rule == [("fast", 100), ("tiny", 100), ("fast", 101)]


def fake_benchmark() -> dict:
    def run(model, seed, wall, accs, passed):
        return {"model": model, "seed": seed, "params": 100, "precision": "fp32", "accuracy": accs,
                "wall_seconds": wall, "cpu_seconds": 2 * wall, "load_before": 0.1, "load_after": 0.2,
                "passed": passed, "first_at_target": None, "final_accuracy": accs[-1], "gflops": 10.0,
                "fraction_of_peak": 0.5, "flops_per_image": 1000, "config": {"target_epochs": 1, "epochs": 3}}

    runs = [run("reference", 1, 300.0, [99.0, 99.3, 99.5], True), run("fast", 1, 15.0, [98.0, 99.2, 99.45], True),
            run("reference", 2, 310.0, [99.1, 99.2, 99.3], False), run("fast", 2, 17.0, [98.5, 99.3, 99.41], True)]
    summary = benchmark.aggregate(runs)
    return {"environment": {"command": "python bench/benchmark.py --seeds 2", "noisy": False, "cpu": "x86_64",
                            "threads": 2, "torch": "2.x", "device": "cpu", "benchmark_wall_seconds": 642.0,
                            "peaks": {"fp32": 200.0, "bf16": 900.0}, "peak_matmul": "2048² matmul on cpu, best of 5"},
            "summary": summary, "ratios": benchmark.ratios(summary), "runs": runs}


def test_tables_hold_every_model_ratio_and_run():
    data = fake_benchmark()
    text = report.tables(data)
    assert "| reference | 100 | fp32 | 3 | 1/2 (final epoch ≥ 99.4) | 99.50, 99.30 | 305.0 |" in text
    assert "| fast | 100 | fp32 | 3 | 2/2 (final epoch ≥ 99.4) | 99.45, 99.41 | 16.0 |" in text
    assert "**19.06×** (goal ≥ 15.0×: met)" in text  # 305 / 16
    assert text.count("| fast | ") == 3  # its summary row and its two runs
    assert "noisy" not in text and "11 minutes in all" in text
    data["environment"]["benchmark_wall_seconds"] = 70.0
    assert "1 minute in all" in report.tables(data)
    data["environment"]["noisy"] = True
    assert "noisy" in report.tables(data)


def test_a_recipe_variant_is_its_own_row_with_its_models_goal():
    """fast:epochs=7 is `mnist train --model fast --epochs 7`: its own summary row and ratio, fast's goal."""
    assert benchmark.parse_recipe("fast:epochs=7:lr=0.3") == ("fast", {"epochs": "7", "lr": "0.3"})
    assert benchmark.recipe_config("fast:epochs=7").epochs == 7
    assert benchmark.recipe_config("fast:batch-size=512").batch_size == 512
    for bad in ("fast:seed=3", "fast:epochs=", "fast:epochs=seven"):
        with pytest.raises((click.BadParameter, ValueError)):
            benchmark.parse_recipe(bad)
    runs = fake_benchmark()["runs"]
    runs += [{**r, "recipe": "fast:epochs=4", "wall_seconds": 25.0} for r in runs if r["model"] == "fast"]
    summary = benchmark.aggregate(runs)
    assert list(summary) == ["reference", "fast", "fast:epochs=4"] and summary["fast:epochs=4"]["model"] == "fast"
    ratio = benchmark.ratios(summary)["reference_time_over_fast:epochs=4_time"]
    assert ratio["value"] == 12.2 and ratio["goal"] == 15.0 and not ratio["met"]  # 305 / 25
    text = report.tables({**fake_benchmark(), "summary": summary, "ratios": benchmark.ratios(summary), "runs": runs})
    assert "| fast:epochs=4 | 100 | fp32 | 3 | 2/2" in text and text.count("| fast:epochs=4 | ") == 3


def test_plot_draws_every_run(tmp_path):
    runs = [{**r, "seconds": [1.0, 1.5, 2.0]} for r in fake_benchmark()["runs"]]
    benchmark.plot(runs, tmp_path / "benchmark.png", "a title")
    assert (tmp_path / "benchmark.png").read_bytes().startswith(b"\x89PNG")
    assert [p.name for p in tmp_path.iterdir()] == ["benchmark.png"]  # no temporary file left behind


def test_rewrite_replaces_only_the_marked_block():
    page = f"# Title\nabove\n{report.BEGIN}\nold table\n{report.END}\nbelow\n"
    new = report.rewrite(page, "new table")
    assert new == f"# Title\nabove\n{report.BEGIN}\nnew table\n{report.END}\nbelow\n"
    assert report.generated_block(new) == "new table"
    with pytest.raises(ValueError, match="no"):
        report.rewrite("# no markers\n", "x")


def test_rewrite_with_a_tag_leaves_the_other_blocks_alone():
    begin, end = report.markers("_h200")
    assert begin != report.BEGIN and "output/benchmark_h200.json" in begin
    page = f"{report.BEGIN}\ncpu\n{report.END}\n{begin}\ngpu\n{end}\n"
    new = report.rewrite(page, "new gpu", "_h200")
    assert report.generated_block(new) == "cpu" and report.generated_block(new, "_h200") == "new gpu"


@pytest.mark.parametrize("tag", ["", "_h200", "_h200_fast", "_command"])
def test_the_docs_tables_agree_with_output_benchmark_json(tag):
    data = json.loads((ROOT / "output" / f"benchmark{tag}.json").read_text())
    if data.get("schema") != 2:
        pytest.skip(f"output/benchmark{tag}.json predates the generated tables; run bench/benchmark.py --docs")
    assert report.generated_block(BENCHMARKS.read_text(), tag) == report.tables(data)


def test_report_rewrites_docs_benchmarks_md_by_default():
    assert report.DOCS == BENCHMARKS and report.BEGIN in BENCHMARKS.read_text()


def default_rows(data: dict) -> dict[str, tuple[str, dict]]:
    """model -> (its row's label, the row) for each row of the benchmark that ran a model's default recipe,
    as `mnist train --model MODEL` runs it now (a variant such as fast:epochs=7 only where it is that)."""
    rows = {}
    for label, s in data["summary"].items():
        model, _ = benchmark.parse_recipe(label)
        if benchmark.recipe_config(label) == recipe(model):
            rows[model] = (label, s)
    return rows


def test_the_readme_quotes_the_cpu_benchmark_of_output_benchmark_json():
    """The README's short MNIST table and speed-up are those of output/benchmark.json, for the recipes
    `mnist train` runs by default (bench/report.py rewrites docs/benchmarks.md; the README is kept by hand)."""
    data = json.loads((ROOT / "output" / "benchmark.json").read_text())
    readme = README.read_text()
    rows = default_rows(data)
    assert {"fast", "tiny", "reference"} <= set(rows)  # the recipes the README's table shows
    for model, (_, s) in rows.items():
        row = (f"| {model} | {s['params']:,} | {s['precision']} | {s['epochs']} | {report.rule(s['target_rule'])} "
               f"| {s['passed']}/{s['seeds']} | {s['median_wall_seconds']:.1f} s |")
        assert row in readme, row
    ratio = data["ratios"][f"reference_time_over_{rows['fast'][0]}_time"]["value"]
    assert f"`fast` is **{ratio:.2f}×** quicker than `reference`" in readme


def test_the_docs_and_readme_quote_the_predict_corpus_of_output():
    """The picture corpus's score (run bench/digit_corpus.py to renew)."""
    main = json.loads((ROOT / "output" / "predict_corpus.json").read_text())["summary"]
    again = json.loads((ROOT / "output" / "predict_corpus_seed1.json").read_text())["summary"]
    text = " ".join(BENCHMARKS.read_text().split())  # the figures, wherever the lines break
    assert f"**{main['correct']}/{main['pictures']} correct**" in text
    assert f"(`--seed 1`, `output/predict_corpus_seed1.json`): {again['correct']}/{again['pictures']}" in text
    assert f"{main['correct']}/{main['pictures']} right on a corpus" in README.read_text()


def test_benchmark_runs_end_to_end_and_refuses_a_busy_machine(dataset, tmp_path, monkeypatch):
    """Each run is the mnist train command; the output folder is made only once the machine passed."""
    from click.testing import CliRunner

    out = tmp_path / "new"
    args = ["--models", "fast,reference", "--seeds", "2", "--seeds-for", "reference=1", "--subset", "600",
            "--epochs", "1", "--out-dir", str(out)]
    monkeypatch.setattr(benchmark, "LOAD_AT_START", 9.0)  # the load the script read before torch loaded
    busy = CliRunner().invoke(benchmark.main, args)
    assert busy.exit_code == 1 and "the machine is busy" in busy.output and "load average 9.00" in busy.output
    assert not out.exists()
    result = CliRunner().invoke(benchmark.main, [*args, "--allow-noisy"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "benchmark.json").read_text())
    assert [(r["model"], r["seed"]) for r in data["runs"]] == [("fast", 100), ("reference", 100), ("fast", 101)]
    assert data["environment"]["noisy"] and all(r["noisy"] for r in data["runs"])
    run = data["runs"][0]
    # the whole command, as a user runs it: start-up, data and the plot are in its wall time
    assert run["command"].startswith("mnist train --model fast --seed 100 --device cpu --out RUN_FOLDER")
    assert run["wall_seconds"] > run["total_seconds"] > 0 and run["cpu_seconds"] > 0
    assert run["gflops"] > 0 and 0 < run["fraction_of_peak"] < 1.5
    assert run["threads"] and data["environment"]["peaks"]["bf16"] > 0
    assert "fast_time_over" not in data["ratios"] and "reference_time_over_fast_time" in data["ratios"]
    assert report.tables(data).count("| fast |") == 3
    assert (out / "benchmark.png").stat().st_size > 0


def threads_case(threads, policy, busy, ms, mid_run=False):
    return {"threads": threads, "policy": policy, "busy": busy, "mid_run": mid_run, "mean_ms": ms}


def test_threads_summary_takes_medians_and_judges_the_goals():
    cases = [threads_case(1, "default", 0, 30.0), threads_case(1, "default", 2, 45.0),
             *[threads_case(0, "mnist default", 0, ms) for ms in (20.0, 21.0, 40.0)],
             *[threads_case(0, "mnist default", 2, ms) for ms in (52.0, 49.0, 90.0)]]
    row = threads_bench.summarise(cases)["rows"]["mnist default"]
    assert row["idle_ms"] == 21.0 and row["idle_loss"] == 0.0  # the median, and the fastest idle setting
    assert row["slowdown_2_busy"] == round(52.0 / 21.0, 2) and row["goals_met"]  # 2.48 <= 2.5
    cases.append(threads_case(0, "mnist default", 2, 60.0))  # median now 56: 2.67x
    assert not threads_bench.summarise(cases)["rows"]["mnist default"]["goals_met"]


def test_threads_default_only_has_no_idle_loss_to_judge():
    assert {t for t, *_ in threads_bench.case_list(2, default_only=True)} == {0}
    assert len(threads_bench.case_list(2, default_only=True)) == 5  # idle, 1 and 2 busy, and both mid-run
    cases = [threads_case(0, "mnist default", 0, 20.0), threads_case(0, "mnist default", 1, 30.0)]
    row = threads_bench.summarise(cases)["rows"]["mnist default"]
    assert row["idle_loss"] is None and row["goals_met"]


@pytest.mark.parametrize("name", ["threads.json", "threads_default.json"])
def test_the_docs_state_the_threads_figures_of_output(name):
    """The busy-machine slowdowns docs/benchmarks.md quotes are the ones in output/ (run bench/threads.py to renew)."""
    row = json.loads((ROOT / "output" / name).read_text())["summary"]["rows"]["mnist default"]
    text = BENCHMARKS.read_text()
    for key in ("slowdown_1_busy", "slowdown_2_busy", "slowdown_1_busy_mid_run", "slowdown_2_busy_mid_run"):
        assert f"{row[key]:.2f}×" in text, (name, key, row[key])
