"""`backprop-sheet generate`: bad input gives one line, exit code 2 and no file; good input writes."""

import os
import sys

import pytest

from backprop_sheet import generate as generate_module
from backprop_sheet import layout as L
from backprop_sheet.cli import main
from backprop_sheet.layout import MAX_ITERATIONS
from backprop_sheet.workbook import read_grids

BAD_FLAGS = {
    "zero learning rate": (["--lr", "0"], "positive"),
    "negative learning rate": (["--lr", "0.5", "--lr", "-0.1"], "positive"),
    "NaN learning rate": (["--lr", "nan"], "not a finite number"),
    "infinite learning rate": (["--lr", "inf"], "not a finite number"),
    "non-numeric learning rate": (["--lr", "fast"], "not a number"),
    "duplicate learning rates": (["--lr", "0.1", "--lr", "0.10"], "more than once"),
    "zero iterations": (["--iterations", "0"], "between 1 and"),
    "negative iterations": (["--iterations", "-5"], "between 1 and"),
    "too many iterations for a sheet": (["--iterations", str(MAX_ITERATIONS + 1)], "between 1 and"),
    "fractional iterations": (["--iterations", "2.5"], "not a whole number"),
    "rate that overflows EXP": (["--lr", "2e7"], "overflow at iteration 2 with η = 20000000: EXP(-h1) overflows"),
    "huge rate": (["--lr", "0.5", "--lr", "1e300"], "overflow at iteration 2 with η = 1E+300: EXP(-h1)"),
    "no hidden neurons": (["--hidden", "0"], "between 1 and 8, got 0"),
    "too many hidden neurons": (["--hidden", "9"], "between 1 and 8, got 9"),
    "fractional hidden width": (["--hidden", "2.5"], "not a whole number"),
    "unknown activation": (["--activation", "swish"], "activation: unknown activation 'swish' (known: sigmoid, "),
    "momentum of 1": (["--momentum", "1"], "momentum must be a number in [0, 1)"),
    "negative momentum": (["--momentum", "-0.1"], "momentum must be a number in [0, 1)"),
    "NaN momentum": (["--momentum", "nan"], "momentum must be a number in [0, 1)"),
    "weights of the default shape for 3 hidden neurons": (
        ["--hidden", "3", "--config", "CONFIG"], "weights needs 12 numbers, got 8"),
    "four hidden layers": (["--hidden", "2,2,2,2"], "give 1 to 3 hidden layers, got 4"),
    "a layer too wide": (["--hidden", "3,9"], "between 1 and 8, got 9"),
    "hidden widths that are no numbers": (["--hidden", "3,x"], "--hidden: '3,x' is not a whole number or a list"),
    "unknown optimizer": (["--optimizer", "lbfgs"], "optimizer: unknown optimizer 'lbfgs'"),
    "unknown loss": (["--loss", "hinge"], "loss: unknown loss 'hinge'"),
    "unknown preset": (["--preset", "mnist"], "'mnist' is not one of 'xor', 'mazur', 'ai-by-hand'"),
    "nesterov without momentum": (["--nesterov"], "nesterov needs optimizer 'sgd' with a momentum above 0"),
    "momentum for adam": (["--optimizer", "adam", "--momentum", "0.9"], "momentum is SGD's"),
    "negative weight decay": (["--weight-decay", "-1"], "weight_decay must be a number in [0, inf)"),
    "a preset whose rate now overflows": (["--preset", "xor", "--lr", "1e300"], "η = 1E+300: EXP(-h2) overflows"),
}

BAD_CONFIGS = {
    "non-numeric weight": ('weights = [0.15, "x", 0.25, 0.3, 0.4, 0.45, 0.5, 0.55]', "not a number"),
    "boolean input": ("inputs = [true, 0.1]", "not a number"),
    "NaN weight": ("weights = [0.15, nan, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55]", "not a finite number"),
    "infinite input": ("inputs = [inf, 0.1]", "not a finite number"),
    "infinite target": ("targets = [0.01, -inf]", "not a finite number"),
    "huge integer bias": ("biases = [0, 1" + "0" * 400 + "]", "not a finite number"),
    "seven weights": ("weights = [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5]", "needs 8 numbers, got 7"),
    "nine inputs": ("inputs = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]", "between 1 and 8, got 9"),
    "no targets": ("targets = []", "between 1 and 8, got 0"),
    "three biases": ("biases = [0.35, 0.6, 0.1]", "needs 2 numbers"),
    "four untrained biases": ("biases = [0.1, 0.2, 0.3, 0.4]", "set train_biases"),
    "three trained biases": ("train_biases = true\nbiases = [0.35, 0.6, 0.1]", "needs 2 or 4 numbers"),
    "weights for another shape": ("hidden = 3\nweights = [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55]",
                                  "weights needs 12 numbers, got 8"),
    "unknown hidden activation": ('hidden_activation = "gelu"', "unknown activation 'gelu'"),
    "text train_biases": ('train_biases = "yes"', "true or false"),
    "momentum too large": ("momentum = 1.5", "in [0, 1)"),
    "text momentum": ('momentum = "high"', "in [0, 1)"),
    "text hidden width": ('hidden = "3"', "whole number"),
    "scalar where a list belongs": ("inputs = 0.05", "must be a list"),
    "duplicate learning rates": ("learning_rates = [0.5, 1, 1.0]", "more than once"),
    "no learning rates": ("learning_rates = []", "at least one"),
    "zero learning rate": ("learning_rates = [0.0]", "positive"),
    "NaN learning rate": ("learning_rates = [nan]", "not a finite number"),
    "text iterations": ('iterations = "many"', "whole number"),
    "float iterations": ("iterations = 10.0", "whole number"),
    "unknown key": ("learning_rate = [0.5]", "unknown config key 'learning_rate'"),
    "malformed TOML": ("weights = [0.15,", "not valid TOML"),
    "weights that overflow EXP": ("weights = [-1e4, -1e4, -1e4, -1e4, 0.4, 0.45, 0.5, 0.55]",
                                  "overflow at iteration 1 (the initial weights, every learning rate): EXP(-h1)"),
    "weights of ±1e6": ("weights = [1e6, -1e6, 1e6, -1e6, 1e6, -1e6, 1e6, -1e6]", "EXP(-h1) overflows"),
    "scalar learning rate of zero": ("learning_rates = 0", "positive"),
    "text learning rate": ('learning_rates = "fast"', "must be a list"),
    "ragged sample list": ("inputs = [[0, 0], [0, 1, 1]]\ntargets = [[0], [1]]", "sample 2 has 3 numbers"),
    "fewer target lists than samples": ("inputs = [[0, 0], [0, 1]]\ntargets = [[0]]", "but targets has 1"),
    "seventeen samples": ("inputs = [" + ", ".join(["[0, 0]"] * 17) + "]\ntargets = [" + ", ".join(["[0]"] * 17)
                          + "]", "give 1 to 16 samples, got 17"),
    "targets that are no probabilities": ('loss = "cross_entropy"\ntargets = [1.5, -0.5]', "probabilities in [0, 1]"),
    "targets that do not sum to 1": ('loss = "cross_entropy"\ntargets = [0.5, 0.6]', "sum to 1.1"),
    "output that contradicts the loss": ('loss = "cross_entropy"\noutput_activation = "relu"',
                                        "output_activation 'relu' contradicts loss 'cross_entropy'"),
    "more than 3 layers": ("hidden = [2, 2, 2, 2]", "give 1 to 3 hidden layers, got 4"),
    "unknown optimizer": ('optimizer = "lbfgs"', "unknown optimizer 'lbfgs'"),
    "betas of 1": ('optimizer = "adam"\nbetas = [0.9, 1.0]', "betas must be a number in [0, 1), got 1.0"),
    "negative beta": ('optimizer = "adam"\nbetas = [-0.1, 0.999]', "betas must be a number in [0, 1)"),
    "betas for sgd": ("betas = [0.9, 0.999]", "betas is a setting of adam"),
    "zero eps": ('optimizer = "rmsprop"\neps = 0', "eps must be a positive number"),
    "sigmoid output that saturates under cross-entropy": (
        'loss = "cross_entropy"\ntargets = [1]\nweights = [1, 1, 1, 1, 40, 40]',
        ("would fail at iteration 1 (the initial weights, every learning rate): LN(1-a_o1) is of 0 or less "
         "(a_o1 = 1; LN of 0 or less is #NUM!)")),
    "softmax that overflows": ('loss = "cross_entropy"\ntargets = [0, 1]\nweights = [1, 1, 1, 1, 2000, 30, 0, 0]',
                               "EXP(o1) overflows (o1 = 1090.98258604781; EXP of more than 709.78 is #NUM!)"),
    "softmax output of 0": ('loss = "cross_entropy"\ntargets = [0, 1]\nweights = [1, 1, 1, 1, -2000, 30, 0, 0]',
                            "LN(a_o1) is of 0 or less (a_o1 = 0;"),
}


def invoke(runner, args):
    result = runner.invoke(main, ["generate", *args])
    assert "Traceback" not in result.output
    return result


def assert_rejected(result, message, folder):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.output
    written = [p for p in folder.rglob("*") if p.is_file() and p.suffix in (".xlsx", ".png", ".tmp")]
    assert not written, written


@pytest.mark.parametrize("case", BAD_FLAGS)
def test_bad_flag(runner, tmp_path, case):
    args, message = BAD_FLAGS[case]
    config = tmp_path / "net.toml"
    config.write_text("weights = [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55]\n")
    args = [str(config) if a == "CONFIG" else a for a in args]
    result = invoke(runner, ["--out", str(tmp_path / "b.xlsx"), "--plot", str(tmp_path / "b.png"), *args])
    assert_rejected(result, message, tmp_path)


@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_bad_config(runner, tmp_path, case):
    text, message = BAD_CONFIGS[case]
    config = tmp_path / "net.toml"
    config.write_text(text + "\n")
    result = invoke(runner, ["--config", str(config), "--out", str(tmp_path / "b.xlsx")])
    assert_rejected(result, message, tmp_path)


def test_unreadable_config(runner, tmp_path):
    result = invoke(runner, ["--config", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "b.xlsx")])
    assert_rejected(result, "cannot read config file", tmp_path)
    result = invoke(runner, ["--config", str(tmp_path), "--out", str(tmp_path / "b.xlsx")])
    assert_rejected(result, "cannot read config file", tmp_path)


def test_config_not_utf8(runner, tmp_path):
    config = tmp_path / "net.toml"
    config.write_bytes(b"iterations = 5 # \xff\xfe\n")
    result = invoke(runner, ["--config", str(config), "--out", str(tmp_path / "b.xlsx")])
    assert_rejected(result, "not UTF-8", tmp_path)


@pytest.mark.parametrize("out, message", [
    ("missing/b.xlsx", "does not exist"),
    ("afile.txt/b.xlsx", "does not exist"),
    ("b.csv", "must end in .xlsx"),
    ("folder.xlsx", "is a folder"),
])
def test_bad_output_path(runner, tmp_path, out, message):
    (tmp_path / "afile.txt").write_text("not a folder")
    (tmp_path / "folder.xlsx").mkdir()
    result = invoke(runner, ["--out", str(tmp_path / out)])
    assert_rejected(result, message, tmp_path)


@pytest.mark.parametrize("plot, message", [("missing/b.png", "does not exist"), ("b.jpg", "must end in .png")])
def test_bad_plot_path_writes_no_workbook(runner, tmp_path, plot, message):
    result = invoke(runner, ["--out", str(tmp_path / "b.xlsx"), "--plot", str(tmp_path / plot)])
    assert_rejected(result, message, tmp_path)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc as a folder nobody can write")
def test_unwritable_output_folder(runner, tmp_path):
    if os.geteuid() == 0:  # root may write anywhere a mode bit forbids; /proc refuses even root
        folder = "/proc"
    else:
        folder = tmp_path / "locked"
        folder.mkdir(mode=0o500)
    result = invoke(runner, ["--out", f"{folder}/backprop-test.xlsx"])
    assert result.exit_code == 2 and result.output.startswith("Error: ") and len(result.output.splitlines()) == 1
    assert not os.path.exists(f"{folder}/backprop-test.xlsx")


def test_generate_writes_workbook_and_plot(runner, tmp_path):
    result = invoke(runner, ["--out", str(tmp_path / "b.xlsx"), "--plot", str(tmp_path / "b.png"),
                             "--lr", "0.3", "--lr", "1.5", "--iterations", "12"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b.png").read_bytes().startswith(b"\x89PNG")
    grids = read_grids(tmp_path / "b.xlsx", formulas=True)
    assert [t for t in grids if t.startswith("lr ")] == ["lr 0.3", "lr 1.5"]
    assert len(grids["lr 1.5"]) == L.data_row(12)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.png", "b.xlsx"]  # no temporary files left


def test_flags_override_config(runner, tmp_path):
    config = tmp_path / "net.toml"
    config.write_text("learning_rates = [0.25, 4]\niterations = 9\nbiases = [0.35, 0.6]\n")
    result = invoke(runner, ["--config", str(config), "--out", str(tmp_path / "b.xlsx"), "--iterations", "5"])
    assert result.exit_code == 0, result.output
    grids = read_grids(tmp_path / "b.xlsx")
    assert [t for t in grids if t.startswith("lr ")] == ["lr 0.25", "lr 4"]
    assert len(grids["lr 4"]) == L.data_row(5)
    assert [row[1] for row in grids["Parameters"] if row[0] in ("b1", "b2")] == [0.35, 0.6]


def test_interrupted_write_keeps_the_old_file(runner, tmp_path, monkeypatch):
    target = tmp_path / "b.xlsx"
    target.write_bytes(b"previous workbook")

    def crash(config, file, trajectory):
        file.write(b"half a workbook")
        raise KeyboardInterrupt

    monkeypatch.setattr(generate_module, "write_workbook", crash)
    result = runner.invoke(main, ["generate", "--out", str(target)])
    assert result.exit_code != 0
    assert target.read_bytes() == b"previous workbook"
    assert [p.name for p in tmp_path.iterdir()] == ["b.xlsx"]


def test_every_option_has_help():
    for command in main.commands.values():
        for param in command.params:
            if param.param_type_name == "option":
                assert param.help, f"{command.name} {param.opts}"


def test_a_single_learning_rate_may_be_a_number(runner, tmp_path):
    config = tmp_path / "net.toml"
    config.write_text("learning_rates = 0.5\niterations = 3\n")
    result = invoke(runner, ["--config", str(config), "--out", str(tmp_path / "b.xlsx")])
    assert result.exit_code == 0, result.output
    assert [t for t in read_grids(tmp_path / "b.xlsx") if t.startswith("lr ")] == ["lr 0.5"]


def test_network_flags(runner, tmp_path):
    """--hidden, --activation, --train-biases and --momentum build the network; weights follow the shape."""
    result = invoke(runner, ["--out", str(tmp_path / "b.xlsx"), "--hidden", "3", "--activation", "tanh",
                             "--train-biases", "--momentum", "0.9", "--lr", "0.5", "--iterations", "4"])
    assert result.exit_code == 0, result.output
    grids = read_grids(tmp_path / "b.xlsx", formulas=True)
    headers = grids["lr 0.5"][L.HEADER_ROW - 1]
    assert headers[1:13] == tuple(f"w{n}" for n in range(1, 13))
    assert "b_h3" in headers and "∂E_total/∂b_o2" in headers and "v_b_o2" in headers
    network = {row[5]: row[6] for row in grids["Parameters"] if len(row) > 6 and row[5]}
    assert network["hidden activation"] == network["output activation"] == "tanh"
    assert network["trained biases"] == "yes" and network["momentum β when generated"] == 0.9


def test_activation_flag_overrides_the_files_layers(runner, tmp_path):
    config = tmp_path / "net.toml"
    config.write_text('hidden_activation = "relu"\noutput_activation = "tanh"\niterations = 2\n')
    result = invoke(runner, ["--config", str(config), "--out", str(tmp_path / "b.xlsx"), "--activation", "linear"])
    assert result.exit_code == 0, result.output
    network = {row[5]: row[6] for row in read_grids(tmp_path / "b.xlsx")["Parameters"] if len(row) > 6 and row[5]}
    assert network["hidden activation"] == network["output activation"] == "linear"


def test_default_output_is_a_file_in_the_current_folder(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # any folder: nothing needs an output/ folder beside it
    result = runner.invoke(main, ["generate", "--iterations", "3"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backprop.xlsx"]
    assert len(read_grids(tmp_path / "backprop.xlsx")["lr 0.1"]) >= 3


def test_a_workbook_of_someone_elses_is_never_overwritten(runner, tmp_path, monkeypatch):
    from openpyxl import Workbook
    monkeypatch.chdir(tmp_path)
    mine = Workbook()
    mine.active["A1"] = "my own backprop"
    mine.save(tmp_path / "backprop.xlsx")
    before = (tmp_path / "backprop.xlsx").read_bytes()
    result = runner.invoke(main, ["generate", "--iterations", "3"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        ("Error: 'backprop.xlsx' exists and is not a workbook backprop-sheet wrote: it is left as it is; "
         "give --out another path")]
    assert (tmp_path / "backprop.xlsx").read_bytes() == before
    (tmp_path / "notes.xlsx").write_text("not even a workbook")
    assert runner.invoke(main, ["generate", "--out", "notes.xlsx"]).exit_code == 2
    # one of ours is replaced: generate twice, as a user who edits the flags does
    assert runner.invoke(main, ["generate", "--out", "ours.xlsx", "--iterations", "3"]).exit_code == 0
    again = runner.invoke(main, ["generate", "--out", "ours.xlsx", "--iterations", "4"])
    assert again.exit_code == 0 and len(read_grids(tmp_path / "ours.xlsx")["lr 0.1"]) >= 4


@pytest.mark.parametrize("name", ["xor", "mazur", "ai-by-hand"])
def test_preset_writes_its_example(runner, tmp_path, name):
    """--preset NAME is examples/NAME.toml: the same workbook, cell for cell."""
    from backprop_sheet.presets import PRESETS
    (tmp_path / "example.toml").write_text(PRESETS[name])
    args = ["--iterations", "3"] if name == "mazur" else []
    assert invoke(runner, ["--preset", name, "--out", str(tmp_path / "p.xlsx"), *args]).exit_code == 0
    assert invoke(runner, ["--config", str(tmp_path / "example.toml"), "--out", str(tmp_path / "c.xlsx"),
                           *args]).exit_code == 0
    assert read_grids(tmp_path / "p.xlsx", formulas=True) == read_grids(tmp_path / "c.xlsx", formulas=True)


def test_config_and_flags_override_a_preset(runner, tmp_path):
    config = tmp_path / "net.toml"
    config.write_text("iterations = 4\nlearning_rates = [1, 3]\n")
    result = invoke(runner, ["--preset", "xor", "--config", str(config), "--optimizer", "adam", "--lr", "0.1",
                             "--out", str(tmp_path / "b.xlsx")])
    assert result.exit_code == 0, result.output
    grids = read_grids(tmp_path / "b.xlsx", formulas=True)
    assert [t for t in grids if t.startswith("lr ")] == ["lr 0.1"] and len(grids["lr 0.1"]) == L.data_row(4)
    network = {row[5]: row[6] for row in grids["Parameters"] if len(row) > 6 and row[5]}
    assert network["samples"] == 4 and network["optimizer"] == "adam"


def test_new_network_flags(runner, tmp_path):
    result = invoke(runner, ["--out", str(tmp_path / "b.xlsx"), "--hidden", "3,2", "--loss", "cross_entropy",
                             "--activation", "tanh", "--momentum", "0.9", "--nesterov", "--weight-decay", "0.01",
                             "--lr", "0.5", "--iterations", "3"])
    assert result.exit_code == 0, result.output
    grids = read_grids(tmp_path / "b.xlsx", formulas=True)
    network = {row[5]: row[6] for row in grids["Parameters"] if len(row) > 6 and row[5]}
    assert network["hidden neurons"] == "3, 2" and network["output activation"] == "softmax"
    assert network["hidden activation"] == "tanh" and network["nesterov"] == "yes"
    assert network["weight decay λ when generated"] == 0.01
    headers = grids["lr 0.5"][L.HEADER_ROW - 1]
    assert headers[1:17] == tuple(f"w{n}" for n in range(1, 17)) and headers[17] == "h1"  # 2·3 + 3·2 + 2·2 weights
    assert "h5" in headers and "v_w16" in headers and "∂E_total/∂h5" in headers
