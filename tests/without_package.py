"""The start of a script for a fresh interpreter that cannot import this project's packages, so that a
published folder is shown to run on its own shipped code (`trust_remote_code=True`) alone."""

import textwrap

BLOCK_PROJECT_IMPORTS = textwrap.dedent(
    """
    import contextlib, importlib.abc, io, json, sys

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("modeling_trm", "training", "tokenization", "hub_cards"):
                raise ImportError(f"{name} is blocked: the repository must be self-contained")

    sys.meta_path.insert(0, Block())
    """
)
