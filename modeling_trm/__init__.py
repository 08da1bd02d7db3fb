"""Tiny Recursive Models for Hugging Face `transformers`; importing registers the Auto classes."""

from transformers import AutoConfig, AutoModel

from .configuration_trm import TRMConfig
from .modeling_trm import TRMCarry, TRMForMathQA, TRMGenerateOutput, TRMOutput, TRMPreTrainedModel

AutoConfig.register("trm", TRMConfig)
AutoModel.register(TRMConfig, TRMForMathQA)
# Saved folders carry `auto_map` and the modeling files, so they load with trust_remote_code alone.
TRMConfig.register_for_auto_class()
TRMForMathQA.register_for_auto_class("AutoModel")

__all__ = ["TRMCarry", "TRMConfig", "TRMForMathQA", "TRMGenerateOutput", "TRMOutput", "TRMPreTrainedModel"]
