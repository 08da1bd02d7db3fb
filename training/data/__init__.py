"""Data for trm-math, one job per module.

Math: `gsm8k` (GSM8K records and splits), `equations` (calculator chains: parse, execute, check),
`augment` (numeric variants of GSM8K problems), `generator` (the embedded task), `word_problems`
(a GSM8K-like curriculum with held-out phrasings and kinds), `svamp` (evaluation only),
`mathematics_dataset` (Saxton et al.'s arithmetic modules), `filtering`
(tokenise and length-filter), `collator` (`MathCollator`, `decode_answers`), `math_datasets` (all of it from
`DataArguments`; `python -m training.describe_data` prints its counts and token lengths).
Puzzles: `puzzles`.
"""
