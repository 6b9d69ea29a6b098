"""The presets of `backprop-sheet generate --preset NAME`: the classics, each also shipped as examples/NAME.toml.

The texts are the example files, byte for byte (a test checks it), so that an installed package, which
has no examples/ folder, still has them.
"""

import sys

from bpcore.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, published as tomli
    import tomli as tomllib

PRESETS = {
    "xor": """\
# xor.toml: a 2-2-1 sigmoid network learns XOR from its four samples (--preset xor)
inputs = [[0, 0], [0, 1], [1, 0], [1, 1]]    # one list per sample: i1, i2
targets = [[0], [1], [1], [0]]               # t1 of each sample: i1 XOR i2
hidden = 2                                   # h1, h2: the fewest that can draw XOR's two lines
activation = "sigmoid"                       # both layers
loss = "mse"                                 # E_total = the mean over the samples of ½(t1 − a_o1)²
reduction = "mean"
train_biases = true                          # XOR needs them: b_h1, b_h2, b_o1
biases = [0, 0]                              # initial biases: hidden, output
weights = [0.5, -0.4, -0.3, 0.6, 0.7, -0.8]  # initial w1..w6: with these it learns
learning_rates = [2, 5, 10, 20]              # at η = 2 it is still on the plateau at 0.125 by iteration 1,000
iterations = 1000
""",
    "mazur": """\
# mazur.toml: the classic worked example, biases included, as far as it goes (--preset mazur)
inputs = [0.05, 0.10]                 # i1, i2
targets = [0.01, 0.99]                # t1, t2
weights = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]   # initial w1..w8
biases = [0.35, 0.60]                 # b1 (hidden), b2 (output); not trained, as in the example
learning_rates = [0.5]                # the example's η
iterations = 10000                    # its last figure: E_total = 0.0000351085 at iteration 10,000
""",
    "ai-by-hand": """\
# ai-by-hand.toml: two ReLU hidden layers, a softmax output and cross-entropy on a batch of 2,
# small whole numbers to follow by hand (--preset ai-by-hand)
inputs = [[1, 2, 1], [2, 1, 3]]       # sample 1: i1..i3; sample 2: i1_s2..i3_s2
targets = [[0, 1, 0], [0, 0, 1]]      # one-hot: sample 1 is class 2, sample 2 class 3
hidden = [4, 3]                       # layer 1: h1..h4, layer 2: h5..h7
hidden_activation = "relu"
loss = "cross_entropy"                # 3 outputs: softmax, E = −Σ t·ln a, so ∂E/∂o = a − t
reduction = "mean"                    # E_total = (E + E_s2)/2
train_biases = true
weights = [-1, -1, 1,  1, 1, 0,  -1, 1, 1,  1, 1, 0,      # w1..w12: i → h1..h4, three per neuron
           1, 1, 0, 0,  -1, -1, 1, 1,  0, 0, 0, 1,        # w13..w24: a_h1..a_h4 → h5..h7
           0, -1, 1,  0, 0, 1,  0, 1, 1]                  # w25..w33: a_h5..a_h7 → o1..o3
biases = [1, 0, 1, -1,  -1, 1, 0,  -1, 0, -1]             # b_h1..b_h4, b_h5..b_h7, b_o1..b_o3
learning_rates = [0.05, 0.1, 0.2, 0.5]  # at η = 0.5 four of the seven ReLUs die and E_total stalls
iterations = 40
""",
}


def preset(name: str) -> dict:
    """The {key: value} mapping of a preset, as read_config gives a file's."""
    if name not in PRESETS:
        raise InputError(f"unknown preset {name!r} (known: {', '.join(PRESETS)})")
    return tomllib.loads(PRESETS[name])
