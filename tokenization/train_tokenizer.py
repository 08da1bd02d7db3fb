"""Train the trm-math tokenizer: byte-level BPE, one token per digit, saved for `AutoTokenizer`.

    python -m tokenization.train_tokenizer --data ../shared/data/gsm8k --vocab-size 4096 \
        --out tokenization/trm-math-bpe
    python -m tokenization.train_tokenizer --data ../shared/data/gsm8k --compare 1024 2048 4096 8192

The first command makes the default tokenizer committed in `tokenization/trm-math-bpe`. The text is
GSM8K's training split (questions and equation targets; never the 500 validation problems or
`test.jsonl`) plus 2,000 generated problems of every generator task, so the embedded task is covered.

The vocabulary size was chosen with `--compare`: tokens per question and per equation target on the
GSM8K validation split (never seen by the tokenizer), "rare" = vocabulary entries seen fewer than 10
times in the training questions (about 250 of them are unused raw bytes at every size), embedding
parameters = V x 512 x 2 (input embedding and untied output head at hidden size 512):

    vocab  question mean/p95/p99/max  target mean/max  rare tokens  embedding params
    1024    87.3 / 156 / 180 / 303      37.5 / 159    213          1.05M
    2048    73.9 / 129 / 156 / 255      37.5 / 159    300          2.10M
    4096    66.7 / 116 / 138 / 229      37.5 / 159    694          4.19M
    8192    62.5 / 107 / 128 / 198      37.4 / 159    4749         8.39M

Digits are one token each at every size, so targets do not shrink. Questions (which every one of
the T x (n + 1) network applications per supervision step reads) lose 15 % of their tokens from 1K to
2K and 10 % from 2K to 4K, but only 6 % more at 8K, where more than half of the vocabulary is seen
fewer than 10 times in GSM8K's training questions: embeddings a tiny model trained from scratch
barely learns, for 4M more parameters. 4096 is the default (~4.2M embedding parameters next to the
~7M core: ~11M in all).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import numpy as np
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from training.data.generator import TASKS, GeneratorConfig, generate_problems
from training.data.gsm8k import DEFAULT_GSM8K_PATH, load_gsm8k

PAD, UNK, EOS, ANSWER = "<pad>", "<unk>", "<eos>", "<answer>"
SPECIAL_TOKENS = (PAD, UNK, EOS, ANSWER)  # ids 0, 1, 2, 3
DEFAULT_VOCAB_SIZE = 4096
EMBEDDING_WIDTH = 512  # TRMConfig's default hidden_size, for the parameter count of --compare
GENERATED_PER_TASK = 2000


def training_text(gsm8k_path: str, generated_per_task: int = GENERATED_PER_TASK) -> Iterator[str]:
    """GSM8K training questions and equation targets, then generated problems of every task.

    Args:
        gsm8k_path (`str`): GSM8K folder or Hub id; only its training split is read.
        generated_per_task (`int`, defaults to 2000): Generated problems per generator task.

    Returns:
        `Iterator[str]`: Texts, a question then its target.
    """
    for record in load_gsm8k(gsm8k_path, "train"):
        yield record["question"]
        yield record["equations"]
    for task in TASKS:
        config = GeneratorConfig(
            task=task, max_ops=4, num_digits=4, num_examples=generated_per_task, seed=1234
        )
        for problem in generate_problems(config):
            yield problem["question"]
            yield problem["equations"]


def train_tokenizer(texts: Iterator[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """A byte-level BPE whose pre-tokenizer puts every digit in its own token.

    Args:
        texts (`Iterator[str]`): Training text.
        vocab_size (`int`): Vocabulary size, the four special tokens and 256 bytes included.

    Returns:
        `PreTrainedTokenizerFast`: With `<pad>`, `<unk>`, `<eos>` and the answer-slot token `<answer>`;
        `decode(encode(text)) == text` for any text (no prefix space, no clean-up of spaces).
    """
    tokenizer = Tokenizer(models.BPE(unk_token=UNK))
    # Digits first, so that no merge can join a digit to anything (a space included).
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token=PAD,
        unk_token=UNK,
        eos_token=EOS,
        additional_special_tokens=[ANSWER],
        clean_up_tokenization_spaces=False,
    )


def compare_vocab_sizes(gsm8k_path: str, vocab_sizes: list[int]) -> list[str]:
    """Train one tokenizer per size and measure it on GSM8K.

    Returns:
        `list[str]`: Table rows: size; tokens per validation question (mean, p95, p99, max) and per
        validation equation target (mean, max); tokens seen fewer than 10 times in the training
        questions (barely trained embeddings); embedding parameters (V x 512 x 2).
    """
    texts = list(training_text(gsm8k_path))
    train_questions = list(load_gsm8k(gsm8k_path, "train")["question"])
    validation = load_gsm8k(gsm8k_path, "validation")
    questions_text, targets_text = list(validation["question"]), list(validation["equations"])
    rows = ["vocab  question mean/p95/p99/max  target mean/max  rare tokens  embedding params"]
    for size in vocab_sizes:
        tokenizer = train_tokenizer(iter(texts), size)
        questions = np.array(
            [len(ids) for ids in tokenizer(questions_text, add_special_tokens=False)["input_ids"]]
        )
        targets = np.array(
            [len(ids) for ids in tokenizer(targets_text, add_special_tokens=False)["input_ids"]]
        )
        seen = np.zeros(len(tokenizer), dtype=np.int64)
        for ids in tokenizer(train_questions, add_special_tokens=False)["input_ids"]:
            np.add.at(seen, ids, 1)
        q95, q99 = np.percentile(questions, [95, 99], method="higher")
        rows.append(
            f"{size:<6d} {questions.mean():5.1f} / {q95} / {q99} / {questions.max():<8d}"
            f"{targets.mean():5.1f} / {targets.max():<6d} {(seen < 10).sum():<12d} "
            f"{size * EMBEDDING_WIDTH * 2 / 1e6:.2f}M"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", default=DEFAULT_GSM8K_PATH, help="GSM8K folder or Hub id (train split used)."
    )
    parser.add_argument("--vocab-size", type=int, default=DEFAULT_VOCAB_SIZE)
    parser.add_argument("--out", help="Folder to save the tokenizer to.")
    parser.add_argument(
        "--compare", type=int, nargs="+", metavar="SIZE", help="Print the measurement table for these sizes."
    )
    args = parser.parse_args()
    if args.compare:
        print("\n".join(compare_vocab_sizes(args.data, args.compare)))
        return
    if args.out is None:
        parser.error("--out is required unless --compare is given")
    tokenizer = train_tokenizer(training_text(args.data), args.vocab_size)
    tokenizer.save_pretrained(args.out)
    print(f"saved a {len(tokenizer)}-token tokenizer to {args.out}")


if __name__ == "__main__":
    main()
