"""Model tables and parameter budgets."""

from __future__ import annotations

import pytest
import torch

from mnist import models
from mnist.summary import format_table, layer_table

# The reference network, as given: (layer, output shape, parameters).
SEED_TABLE = [
    ("Conv2d-1", (16, 26, 26), 144), ("BatchNorm2d-2", (16, 26, 26), 32), ("ReLU-3", (16, 26, 26), 0),
    ("Dropout2d-4", (16, 26, 26), 0),
    ("Conv2d-5", (16, 24, 24), 2304), ("BatchNorm2d-6", (16, 24, 24), 32), ("ReLU-7", (16, 24, 24), 0),
    ("Conv2d-8", (32, 22, 22), 4608), ("BatchNorm2d-9", (32, 22, 22), 64), ("ReLU-10", (32, 22, 22), 0),
    ("Dropout2d-11", (32, 22, 22), 0),
    ("Conv2d-12", (16, 22, 22), 528), ("ReLU-13", (16, 22, 22), 0), ("MaxPool2d-14", (16, 11, 11), 0),
    ("Conv2d-15", (16, 9, 9), 2304), ("BatchNorm2d-16", (16, 9, 9), 32), ("ReLU-17", (16, 9, 9), 0),
    ("Dropout2d-18", (16, 9, 9), 0),
    ("Conv2d-19", (16, 9, 9), 2304), ("BatchNorm2d-20", (16, 9, 9), 32), ("ReLU-21", (16, 9, 9), 0),
    ("Dropout2d-22", (16, 9, 9), 0),
    ("Conv2d-23", (16, 7, 7), 2304), ("BatchNorm2d-24", (16, 7, 7), 32), ("ReLU-25", (16, 7, 7), 0),
    ("Dropout2d-26", (16, 7, 7), 0),
    ("Conv2d-27", (32, 5, 5), 4608), ("BatchNorm2d-28", (32, 5, 5), 64), ("ReLU-29", (32, 5, 5), 0),
    ("Dropout2d-30", (32, 5, 5), 0),
    ("Conv2d-31", (10, 5, 5), 320), ("AvgPool2d-32", (10, 1, 1), 0),
]


def test_seed_layer_table_equals_the_reference():
    rows = layer_table(models.build("seed"))
    assert [(r.name, r.shape, r.params) for r in rows] == SEED_TABLE
    assert models.count_parameters(models.build("seed")) == 19_712


def test_seed_conv_biases_only_on_the_1x1_transition():
    convs = [m for m in models.build("seed").modules() if isinstance(m, torch.nn.Conv2d)]
    assert [m.bias is not None for m in convs] == [False, False, False, True, False, False, False, False, False]


def test_summary_prints_table_and_totals():
    text = format_table(models.build("seed"))
    assert "Conv2d-12" in text and "[-1, 16, 22, 22]" in text and "528" in text
    assert "Total params: 19,712" in text and "Trainable params: 19,712" in text


@pytest.mark.parametrize("name, budget", [("seed", 20_000), ("tiny", 4_000), ("fast", 20_000)])
def test_parameter_budgets(name, budget):
    assert models.count_parameters(models.build(name)) < budget


@pytest.mark.parametrize("name", list(models.MODELS))
def test_every_model_maps_images_to_log_probabilities(name):
    model = models.build(name).eval()
    out = model(torch.randn(5, 1, 28, 28))
    assert out.shape == (5, 10)
    torch.testing.assert_close(out.exp().sum(1), torch.ones(5))


def test_unknown_model_is_refused():
    with pytest.raises(KeyError, match="unknown model"):
        models.build("resnet152")


def test_fast_reads_only_the_centre_26x26_of_the_frame():
    torch.manual_seed(0)
    net = models.build("fast").eval()
    x = torch.randn(4, 1, 28, 28)
    border = x.clone()
    border[:, :, [0, -1], :] = 5.0
    border[:, :, :, [0, -1]] = -5.0
    inner = x.clone()
    inner[:, :, 1, 1] += 5.0  # the crop's corner pixel
    with torch.no_grad():
        assert torch.equal(net(x), net(border))
        assert not torch.allclose(net(x), net(inner))


def test_the_candidates_log_names_keep_meaning_the_networks_they_were(monkeypatch):
    """The tuning log's "fast_k" lines are today's `fast`, and its earlier "fast" lines `fast_uncropped`."""
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "bench"))
    import candidates

    torch.manual_seed(0)
    fast, fast_k, uncropped = models.build("fast").eval(), candidates.fast_k().eval(), candidates.fast_uncropped().eval()
    fast_k.load_state_dict(fast.state_dict())
    uncropped.load_state_dict(dict(zip(uncropped.state_dict(), fast.state_dict().values())))  # same order
    x = torch.randn(3, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(fast(x), fast_k(x))
        assert torch.equal(fast(x), uncropped(x[:, :, 1:-1, 1:-1]))
    assert models.count_parameters(uncropped) == models.count_parameters(fast) == 18_938
