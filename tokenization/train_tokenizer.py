"""Train the trm-math tokenizer: byte-level BPE, one token per digit, saved for `AutoTokenizer`.

    python -m tokenization.train_tokenizer --data ../shared/data/gsm8k --vocab-size 4096 \
        --out tokenization/trm-math-bpe

The text is GSM8K's training split (questions and equation targets; never `test.jsonl`) plus
generated word problems, so the embedded task is covered too.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from training.data.math_sources import load_gsm8k
from training.data.word_problems import GeneratorConfig, generate_problems

SPECIAL_TOKENS = {"pad_token": "<pad>", "unk_token": "<unk>", "eos_token": "<eos>"}
ANSWER_SLOT_TOKEN = "<answer>"


def training_text(gsm8k_folder: str | Path, num_generated: int = 20000) -> Iterator[str]:
    """GSM8K training questions and targets, then generated problems of every task."""
    for record in load_gsm8k(gsm8k_folder, "train"):
        yield record["question"]
        yield record["equations"]
    for task in ("word_problems", "multiplication", "addition"):
        config = GeneratorConfig(
            task=task, max_ops=4, num_digits=4, num_examples=num_generated // 3, seed=1234
        )
        for problem in generate_problems(config):
            yield problem["question"]
            yield problem["equations"]


def train_tokenizer(texts: Iterator[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """A byte-level BPE whose pre-tokenizer splits every digit into its own token."""
    tokenizer = Tokenizer(models.BPE(unk_token=SPECIAL_TOKENS["unk_token"]))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[*SPECIAL_TOKENS.values(), ANSWER_SLOT_TOKEN],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, additional_special_tokens=[ANSWER_SLOT_TOKEN], **SPECIAL_TOKENS
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", default="../shared/data/gsm8k", help="GSM8K folder (its train split is used)."
    )
    parser.add_argument("--vocab-size", type=int, default=4096)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    tokenizer = train_tokenizer(training_text(args.data), args.vocab_size)
    tokenizer.save_pretrained(args.out)
    print(f"saved a {len(tokenizer)}-token tokenizer to {args.out}")


if __name__ == "__main__":
    main()
