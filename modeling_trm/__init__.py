"""Tiny Recursive Models for Hugging Face `transformers`; importing registers the Auto classes and the
`"trm-math-qa"` pipeline."""

from transformers import AutoConfig, AutoModel
from transformers.pipelines import PIPELINE_REGISTRY

from .configuration_trm import TRMConfig, TRMPuzzleConfig
from .modeling_trm import (
    IGNORE_INDEX,
    TRMCarry,
    TRMForMathQA,
    TRMForPuzzles,
    TRMGenerateOutput,
    TRMOutput,
    TRMPreTrainedModel,
)
from .pipeline_trm import TASK as MATH_QA_TASK
from .pipeline_trm import TRMMathQAPipeline

AutoConfig.register("trm", TRMConfig)
AutoConfig.register("trm_puzzle", TRMPuzzleConfig)
AutoModel.register(TRMConfig, TRMForMathQA)
AutoModel.register(TRMPuzzleConfig, TRMForPuzzles)
# Saved folders carry `auto_map` and the modeling files, so they load with trust_remote_code alone.
TRMConfig.register_for_auto_class()
TRMForMathQA.register_for_auto_class("AutoModel")
TRMPuzzleConfig.register_for_auto_class()
TRMForPuzzles.register_for_auto_class("AutoModel")
# A saved pipeline writes pipeline_trm.py and `custom_pipelines` into the folder (remote code).
PIPELINE_REGISTRY.register_pipeline(MATH_QA_TASK, pipeline_class=TRMMathQAPipeline, pt_model=AutoModel)

__all__ = [
    "IGNORE_INDEX",
    "MATH_QA_TASK",
    "TRMCarry",
    "TRMConfig",
    "TRMForMathQA",
    "TRMForPuzzles",
    "TRMGenerateOutput",
    "TRMMathQAPipeline",
    "TRMOutput",
    "TRMPreTrainedModel",
    "TRMPuzzleConfig",
]
