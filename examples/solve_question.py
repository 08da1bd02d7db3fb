"""Solve a math question with a saved TRM and print the answer after every supervision step.

    python examples/solve_question.py --model runs/generator \
        --question "Ava has 12 apples. Ava buys 5 more apples. How many apples does Ava have now?"
"""

from __future__ import annotations

import argparse

from transformers import AutoModel, AutoTokenizer

import modeling_trm  # noqa: F401  (registers the TRM Auto classes; or pass trust_remote_code=True)
from training.data.collator import decode_answers


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", required=True, help="Saved model folder or Hub id.")
    parser.add_argument("--question", required=True)
    args = parser.parse_args()

    model = AutoModel.from_pretrained(args.model).eval()
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    inputs = tokenizer([args.question], add_special_tokens=False, return_tensors="pt")
    out = model.generate(
        inputs["input_ids"], use_act=False, return_dict_in_generate=True, output_step_predictions=True
    )
    halted = model.generate(inputs["input_ids"], return_dict_in_generate=True)
    for step, prediction in enumerate(out.step_predictions, start=1):
        print(f"step {step:2d}: {decode_answers(tokenizer, prediction)[0]}")
    answer = decode_answers(tokenizer, halted.sequences)[0]
    print(f"ACT halts after {halted.num_steps[0].item()} steps with: {answer}")


if __name__ == "__main__":
    main()
