"""Loading a saved TRM folder (or Hub id) with errors that name the folder, the file and what is wrong.

`from_pretrained` alone reports a missing folder as a malformed repository id, a truncated
`model.safetensors` without naming it, and only warns about missing tensors (it initialises them at
random); a tokenizer of another vocabulary fails much later, as an index error deep in the model.
"""

from __future__ import annotations

from pathlib import Path

import torch
from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id
from safetensors import SafetensorError
from transformers import AutoConfig, AutoModel, PretrainedConfig, PreTrainedTokenizerBase
from transformers.utils import CONFIG_NAME, SAFE_WEIGHTS_NAME

from .modeling_trm import TRMPreTrainedModel


def load_saved_model(
    path: str | Path,
    model_class: type[TRMPreTrainedModel] | None = None,
    dtype: torch.dtype | str = "auto",
) -> TRMPreTrainedModel:
    """Load a saved TRM model through `AutoModel`, refusing anything but a complete, exact load.

    Args:
        path (`str | Path`): A saved model folder, or a Hub id.
        model_class (`type[TRMPreTrainedModel]`, *optional*): The class the folder must hold
            (`TRMForMathQA` or `TRMForPuzzles`); default: whichever it holds.
        dtype (`torch.dtype | str`, *optional*, defaults to `"auto"`): Load in this dtype; `"auto"`: as saved.

    Returns:
        `TRMPreTrainedModel`: the model, as `from_pretrained` returns it.

    Raises:
        `FileNotFoundError`: When `path` is neither a folder nor a Hub id.
        `ValueError`: Naming the file: a config that fails to load or holds another model class, or
            weights that fail to load (a truncated file) or do not match the model (missing tensors).
    """
    folder = Path(path)
    if not folder.is_dir():
        try:
            validate_repo_id(str(path))
        except HFValidationError:
            raise FileNotFoundError(f"{path}: no such model folder.") from None
    config_file = folder / CONFIG_NAME if folder.is_dir() else f"{path} ({CONFIG_NAME})"
    try:
        config = AutoConfig.from_pretrained(path)
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(f"{config_file}: the model config fails to load ({error})") from error
    if model_class is not None and config.model_type != model_class.config_class.model_type:
        raise ValueError(
            f"{config_file}: a {config.model_type!r} model ({', '.join(config.architectures or [])}); "
            f"a {model_class.__name__} ({model_class.config_class.model_type!r}) is needed here."
        )
    weights = folder / SAFE_WEIGHTS_NAME if (folder / SAFE_WEIGHTS_NAME).is_file() else path
    try:
        model, info = AutoModel.from_pretrained(path, config=config, dtype=dtype, output_loading_info=True)
    except (OSError, RuntimeError, ValueError, SafetensorError) as error:
        raise ValueError(f"{weights}: the weights fail to load ({error})") from error
    problems = {key: sorted(value) for key, value in info.items() if value}
    if problems:
        raise ValueError(f"{weights}: the weights do not match the model: {problems}")
    return model


def check_tokenizer_matches(
    tokenizer: PreTrainedTokenizerBase, config: PretrainedConfig, tokenizer_source: str, model_source: str
) -> None:
    """Refuse a tokenizer other than the one `config` was built for: more tokens than the model embeds
    (their ids would index past its embedding), or other pad or eos ids. A model may embed more tokens
    than its tokenizer has (a vocabulary padded to a round size).

    Args:
        tokenizer (`PreTrainedTokenizerBase`): The tokenizer to use with the model.
        config (`PretrainedConfig`): The model's config (`vocab_size`, `pad_token_id`, `eos_token_id`).
        tokenizer_source (`str`): Where the tokenizer came from, for the message.
        model_source (`str`): Where the model came from, for the message.

    Raises:
        `ValueError`: Naming both sources and both values.
    """
    if len(tokenizer) > config.vocab_size:
        raise ValueError(
            f"The tokenizer {tokenizer_source} has {len(tokenizer)} tokens, more than the model "
            f"{model_source} embeds (vocab_size={config.vocab_size}): they do not belong together."
        )
    for name in ("pad_token_id", "eos_token_id"):
        expected = getattr(config, name, None)
        if expected is not None and getattr(tokenizer, name) != expected:
            raise ValueError(
                f"The tokenizer {tokenizer_source} has {name}={getattr(tokenizer, name)} but the model "
                f"{model_source} has {name}={expected}: they do not belong together."
            )
