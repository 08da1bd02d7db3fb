"""`TRMMathQAPipeline`: a math word problem in, its answer out, through `TRMForMathQA.generate`.

    from transformers import pipeline
    solver = pipeline(model="org/trm-math", trust_remote_code=True)
    solver("Natalia sold clips to 48 friends in April, and half as many in May. How many clips in all?")
    # {"answer": "72", "text": "<<48/2=24>> <<48+24=72>> #### 72", "num_steps": 2}
    solver(question, decoding="calculator", return_steps=True)

Registered with `transformers` under the task name `"trm-math-qa"`; a saved pipeline writes this file
(and the calculator it imports) beside the model, so that a Hub repository runs it with
`trust_remote_code=True`. This file imports only torch, transformers and `calculator.py`.
"""

from __future__ import annotations

import re
from typing import Any

import torch
from transformers import Pipeline

from .calculator import ANSWER_SEPARATOR, execute_chain

TASK = "trm-math-qa"
DECODINGS = ("model", "calculator")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:/\d+)?")


def final_answer(text: str) -> str:
    """The answer of a decoded output: the number after the last `####` in an equation chain, else the
    whole text (a final-answer model writes the answer alone)."""
    if ANSWER_SEPARATOR not in text:
        return text.strip()
    match = _NUMBER.search(text.rsplit(ANSWER_SEPARATOR, 1)[1])
    return match.group() if match else ""


class TRMMathQAPipeline(Pipeline):
    """Answer math questions with a TRM: the whole recursion runs inside `generate`.

    Call arguments (besides the question, a string or a list of strings):
        decoding (`str`, *optional*, defaults to `"model"`): `"model"` takes the answer as written;
            `"calculator"` re-executes an emitted equation chain exactly (`calculator.execute_chain`).
        return_steps (`bool`, *optional*, defaults to `False`): Also return the answer after every
            supervision step (all steps run, `"steps"`).
        max_supervision_steps (`int`, *optional*): Steps at most; defaults to the model's N_sup.
        halt_threshold (`float`, *optional*): ACT halting threshold; defaults to the model's.

    Returns, per question, a `dict` with `answer` (the final number, or the text of a final-answer
    model), `text` (the decoded answer slots), `num_steps` (supervision steps run) and, when asked,
    `steps` (the answer after each step).
    """

    def _sanitize_parameters(
        self,
        decoding: str | None = None,
        return_steps: bool | None = None,
        max_supervision_steps: int | None = None,
        halt_threshold: float | None = None,
        **kwargs: Any,
    ) -> tuple[dict, dict, dict]:
        if decoding is not None and decoding not in DECODINGS:
            raise ValueError(f"`decoding` must be one of {DECODINGS}, got {decoding!r}.")
        forward = {"max_supervision_steps": max_supervision_steps, "halt_threshold": halt_threshold}
        if return_steps is not None:
            forward["return_steps"] = return_steps
        postprocess = {} if decoding is None else {"decoding": decoding}
        return {}, forward, postprocess

    def preprocess(self, question: str) -> dict[str, torch.Tensor]:
        inputs = self.tokenizer(question, add_special_tokens=False, return_tensors="pt")
        length, limit = inputs["input_ids"].shape[1], self.model.config.max_question_length
        if length > limit:
            raise ValueError(
                f"The question has {length} tokens but this model reads at most {limit} "
                f"(`max_question_length`): {question[:80]!r}..."
            )
        return {"input_ids": inputs["input_ids"], "attention_mask": inputs["attention_mask"]}

    def _forward(
        self,
        model_inputs: dict[str, torch.Tensor],
        max_supervision_steps: int | None = None,
        halt_threshold: float | None = None,
        return_steps: bool = False,
    ) -> dict[str, torch.Tensor]:
        output = self.model.generate(
            **model_inputs,
            max_supervision_steps=max_supervision_steps,
            halt_threshold=halt_threshold,
            return_dict_in_generate=True,
        )
        result = {"sequences": output.sequences, "num_steps": output.num_steps}
        if return_steps:
            result["steps"] = self.model.generate(
                **model_inputs,
                max_supervision_steps=max_supervision_steps,
                use_act=False,
                return_dict_in_generate=True,
                output_step_predictions=True,
            ).step_predictions[:, 0]
        return result

    def _decode(self, token_ids: torch.Tensor, decoding: str) -> str:
        ids = token_ids.tolist()
        if self.tokenizer.eos_token_id in ids:
            ids = ids[: ids.index(self.tokenizer.eos_token_id)]
        text = self.tokenizer.decode(ids, skip_special_tokens=True).strip()
        return execute_chain(text) if decoding == "calculator" else text

    def postprocess(self, model_outputs: dict[str, torch.Tensor], decoding: str = "model") -> dict[str, Any]:
        text = self._decode(model_outputs["sequences"][0], decoding)
        result = {"answer": final_answer(text), "text": text, "num_steps": int(model_outputs["num_steps"][0])}
        if "steps" in model_outputs:
            result["steps"] = [final_answer(self._decode(step, decoding)) for step in model_outputs["steps"]]
        return result
