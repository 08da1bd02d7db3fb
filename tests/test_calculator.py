"""Calculator decoding of emitted equation chains (`equations.execute_chain`)."""

from __future__ import annotations

import pytest

from modeling_trm.calculator import execute_chain
from training.metrics import load_gsm8k_accuracy


@pytest.mark.parametrize(
    "emitted, executed",
    [
        ("<<48/2=24>> <<48+24=72>> #### 72", "<<48/2=24>> <<48+24=72>> #### 72"),
        # A wrong result is recomputed, and a later step that refers to it gets the computed value.
        ("<<48/2=25>> <<48+25=73>> #### 73", "<<48/2=24>> <<48+24=72>> #### 72"),
        ("<<5*4=21>> <<21-1=20>> <<20+21=41>> #### 41", "<<5*4=20>> <<20-1=19>> <<19+20=39>> #### 39"),
        # The answer is the last step's value, whatever the model wrote after ####.
        ("<<3*4=12>> #### 7", "<<3*4=12>> #### 12"),
        # A value without a finite decimal is carried exactly and written with six decimals.
        ("<<10/3=3>> <<3*3=10>> #### 10", "<<10/3=3.333333>> <<(10/3)*(10/3)=11.111111>> #### 11.111111"),
        # Steps after one that cannot be evaluated are dropped.
        ("<<2+2=4>> <<4*x=8>> <<8+1=9>> #### 9", "<<2+2=4>> #### 4"),
    ],
)
def test_execute_chain_recomputes_every_step(emitted: str, executed: str) -> None:
    assert execute_chain(emitted) == executed


@pytest.mark.parametrize("emitted", ["#### 5", "72", "<<4*5=2x>> #### 3", ""])
def test_text_without_an_evaluable_step_is_returned_unchanged(emitted: str) -> None:
    assert execute_chain(emitted) == emitted


def test_the_metric_scores_the_executed_chain_by_its_final_number() -> None:
    metric = load_gsm8k_accuracy(keep_in_memory=True)
    emitted = ["<<48/2=25>> <<48+25=73>> #### 73", "<<6*7=42>> #### 42"]
    references = ["<<48/2=24>> <<48+24=72>> #### 72", "#### 43"]
    assert metric.compute(predictions=emitted, references=references)["accuracy"] == 0.0
    executed = [execute_chain(answer) for answer in emitted]
    assert metric.compute(predictions=executed, references=references)["accuracy"] == 0.5
