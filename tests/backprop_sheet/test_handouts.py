"""Per-student variants: drawn from the id and the seed alone, each one trained by the reference before it is kept."""

import json

import numpy as np
import pytest

from backprop_sheet import handouts, network
from backprop_sheet.config import SheetConfig
from bpcore.errors import InputError

BASE = SheetConfig(iterations=40)


def test_same_id_and_seed_give_the_same_numbers_and_others_differ():
    a = handouts.variant(BASE, "s001", 7, ("weights",))
    assert a == handouts.variant(BASE, "s001", 7, ("weights",))
    others = [handouts.variant(BASE, sid, 7, ("weights",)) for sid in ("s002", "s003", "S001")]
    others.append(handouts.variant(BASE, "s001", 8, ("weights",)))
    assert len({c.weights for c in [a, *others]}) == 5
    assert a.inputs == BASE.inputs and a.targets == BASE.targets and a.learning_rates == BASE.learning_rates


@pytest.mark.parametrize("vary", [("weights",), ("inputs", "targets"), ("weights", "inputs", "targets", "rates")])
def test_every_variant_trains(vary):
    for k in range(25):
        config = handouts.variant(BASE, f"student{k}", 1, vary)
        t = network.train(config.weights, config.inputs, config.targets, config.biases, config.learning_rates,
                          config.iterations, config.spec)
        assert np.all(t["E_total"][-1] < t["E_total"][0])
        assert all(round(w, 2) == w for w in config.weights)  # two digits: easy to retype


def test_a_range_that_cannot_train_is_refused():
    assert handouts.trains(SheetConfig(learning_rates=(0.5,), iterations=2))
    exploding = SheetConfig(learning_rates=(1e6,), iterations=50, hidden_activation="linear", output_activation="linear")
    with pytest.raises(InputError, match="no variant for 's1' trains"):
        handouts.variant(exploding, "s1", 0, ("weights",))


def test_roster_keeps_other_columns_and_refuses_bad_ids(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,Student_ID,email\nAda,s1,ada@x\nBo,s2,bo@x\n", encoding="utf-8")
    assert handouts.read_roster(roster) == [("s1", {"name": "Ada", "email": "ada@x"}),
                                            ("s2", {"name": "Bo", "email": "bo@x"})]
    for text, message in (("name\nAda\n", "no student_id column"), ("student_id\ns1\nS1\n", "listed twice"),
                          ("student_id\n../x\n", "must be 1-64 letters"), ("student_id\n", "has no students")):
        roster.write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match=message):
            handouts.read_roster(roster)


def test_key_round_trips_every_config(tmp_path):
    roster = [("s1", {"name": "Ada"}), ("s2", {"name": "Bo"})]
    vary = ("weights", "rates")
    students = handouts.students(roster, BASE, 3, vary)
    path = tmp_path / "key.json"
    path.write_text(json.dumps(handouts.key_json(students, BASE, 3, vary)))
    assert handouts.read_key(path) == {s.id: s.config for s in students}
    path.write_text('{"students": {}}')
    with pytest.raises(InputError, match="not a key.json that backprop-sheet exercise wrote"):
        handouts.read_key(path)
