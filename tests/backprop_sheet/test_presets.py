"""The presets: each is its examples/ config byte for byte, and does what its comments and the docs say."""

import re
from pathlib import Path

import numpy as np
import pytest

from backprop_sheet import docs, network
from backprop_sheet.config import from_mapping
from backprop_sheet.presets import PRESETS, preset
from bpcore.errors import InputError

ROOT = Path(__file__).parents[2]
WORKBOOK = ROOT / "docs" / "workbook.md"


def run(name: str, **changes):
    config = from_mapping(preset(name) | changes)
    return config, network.train(config.weights, config.inputs, config.targets, config.biases,
                                 config.learning_rates, config.iterations, spec=config.spec)


@pytest.mark.parametrize("name", PRESETS)
def test_each_preset_is_its_example_file(name):
    assert (ROOT / "examples" / f"{name}.toml").read_text() == PRESETS[name]


def test_an_unknown_preset_is_bad_input():
    with pytest.raises(InputError, match="unknown preset 'iris' \\(known: xor, mazur, ai-by-hand\\)"):
        preset("iris")


def test_xor_learns_xor_at_the_larger_rates():
    config, trajectory = run("xor")
    spec = config.spec
    assert (spec.n_in, spec.layers, spec.n_out, spec.n_samples) == (2, (2,), 1, 4) and spec.loss == "mse"
    assert config.learning_rates == (2.0, 5.0, 10.0, 20.0) and config.iterations == 1000
    outputs = np.array([trajectory[f"a_o1{sfx}"][-1] for sfx in spec.suffixes])  # (samples, rates)
    targets = np.array(config.sample_targets)  # (samples, 1)
    assert trajectory["E_total"][-1, 0] > 0.1  # η = 2: still on the plateau at 0.125
    assert np.all(np.abs(outputs[:, 1:] - targets) < 0.1)  # η = 5, 10, 20: every sample right
    assert np.all(trajectory["E_total"][-1, 1:] < 0.01)
    assert trajectory["E_total"][0, 0] == pytest.approx(0.125, abs=0.002)
    swings = np.diff(trajectory["E_total"][:, 3])
    assert swings.max() > 0.01  # η = 20 leaves the plateau with a few wild swings
    left = np.argmax(trajectory["E_total"][:, 2] < 0.1) + 1  # η = 10 falls off its plateau near 250
    assert 230 <= left <= 280


def test_mazur_is_the_classic_worked_example_to_its_last_figure():
    config, trajectory = run("mazur")
    assert config.biases == (0.35, 0.60) and not config.train_biases and config.learning_rates == (0.5,)
    assert trajectory["E_total"][0, 0] == pytest.approx(0.298371109, abs=1e-9)
    assert trajectory["w5"][1, 0] == pytest.approx(0.35891648, abs=1e-8)
    assert config.iterations == 10_000
    assert round(trajectory["E_total"][-1, 0], 10) == 0.0000351085


def test_ai_by_hand_is_two_relu_layers_softmax_and_a_batch_of_two():
    config, trajectory = run("ai-by-hand")
    spec = config.spec
    assert spec.layers == (4, 3) and spec.hidden_activation == "relu" and spec.softmax
    assert spec.loss == "cross_entropy" and spec.n_samples == 2 and spec.train_biases
    assert all(float(w).is_integer() for w in config.weights + config.biases)  # small whole numbers
    assert all(sum(t) == 1 and max(t) == 1 for t in config.sample_targets)  # one-hot
    assert all(trajectory["E_total"][-1, :3] < 0.1)
    # η = 0.5: four of the seven ReLUs die, layer 2's three among them, by iteration 4; from then on no
    # ∂E/∂z of a hidden neuron is other than 0, only the output biases learn, and E_total stalls
    dead = [h for h in spec.hidden_neurons if all(np.all(trajectory[h + sfx][3:, 3] <= 0) for sfx in spec.suffixes)]
    assert dead == ["h1", "h5", "h6", "h7"]
    assert all(np.all(trajectory[f"dE_d{h}{sfx}"][3:, 3] == 0) for h in spec.hidden_neurons for sfx in spec.suffixes)
    assert trajectory["E_total"][-1, 3] > 0.7 and trajectory["b_o1"][-1, 3] != trajectory["b_o1"][-2, 3]
    # every hidden neuron is alive at the start, on one sample at least
    assert all(max(trajectory[h + sfx][0, 0] for sfx in spec.suffixes) > 0 for h in spec.hidden_neurons)


def test_the_docs_show_each_preset_and_its_pictures():
    text = WORKBOOK.read_text()
    unindented = re.sub(r"(?m)^  ", "", text)
    for name in PRESETS:
        assert PRESETS[name].strip() in unindented, name
        assert f"(../examples/{name}.toml)" in text
    pictures = re.findall(r"\]\((img/preset_[^)]+\.png)\)", text)
    assert len(pictures) == 8
    for picture in pictures:
        assert (ROOT / "docs" / picture).read_bytes().startswith(b"\x89PNG")
    assert {"img/preset_xor_lr.png", "img/preset_xor_optimizers.png", "img/preset_xor_lr_10.png",
            "img/preset_xor_parameters.png", "img/preset_ai_by_hand_parameters.png"} <= set(pictures)


def test_the_docs_optimizer_table_is_current_and_as_described():
    assert docs.optimizers_table() in WORKBOOK.read_text()
    curves = docs.optimizer_curves()
    first = {label: int(np.argmax(e < docs.LEARNED)) + 1 for label, e in curves.items()}
    assert all(e[-1] < docs.LEARNED for e in curves.values())  # every optimizer learns XOR
    sgd, momentum, adam, rmsprop = first.values()
    assert max(adam, rmsprop) < min(sgd, momentum)  # the adaptive ones leave the plateau first
    assert abs(sgd - momentum) < 0.25 * sgd  # momentum at η = 1 about as fast as SGD at η = 10


def test_the_docs_kinds_table_is_current():
    assert docs.kinds_table() in WORKBOOK.read_text()
