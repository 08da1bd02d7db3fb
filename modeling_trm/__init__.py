"""Tiny Recursive Models for Hugging Face `transformers`; importing registers the Auto classes."""

from transformers import AutoConfig, AutoModel

from .configuration_trm import TRMConfig
from .configuration_trm_puzzle import TRMPuzzleConfig
from .modeling_trm import TRMCarry, TRMForMathQA, TRMGenerateOutput, TRMOutput, TRMPreTrainedModel
from .modeling_trm_puzzle import TRMForPuzzles

AutoConfig.register("trm", TRMConfig)
AutoConfig.register("trm_puzzle", TRMPuzzleConfig)
AutoModel.register(TRMConfig, TRMForMathQA)
AutoModel.register(TRMPuzzleConfig, TRMForPuzzles)
# Saved folders carry `auto_map` and the modeling files, so they load with trust_remote_code alone.
TRMConfig.register_for_auto_class()
TRMForMathQA.register_for_auto_class("AutoModel")
TRMPuzzleConfig.register_for_auto_class()
TRMForPuzzles.register_for_auto_class("AutoModel")

__all__ = [
    "TRMCarry",
    "TRMConfig",
    "TRMForMathQA",
    "TRMForPuzzles",
    "TRMGenerateOutput",
    "TRMOutput",
    "TRMPreTrainedModel",
    "TRMPuzzleConfig",
]
