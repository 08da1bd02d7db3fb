"""The loopback Hub: `huggingface_hub` pushes to it and `transformers` loads from it, on 127.0.0.1 only."""

import json
import subprocess
import sys
import textwrap
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import huggingface_hub
import pytest
import torch
from hub_server import LocalHub, loopback_only
from huggingface_hub import HfApi
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

REPO_ID = "org/tiny"
TOKEN = "hf_local_test_token"
SENTENCE = "the cat sat on the mat"

# Run in a fresh interpreter with an empty cache: load the repository through HF_ENDPOINT, with every
# connection off 127.0.0.1 refused, and save what the tokenizer and model produce.
_LOAD_FROM_HUB = textwrap.dedent(
    """
    import sys

    tests_dir, repo_id, sentence, out = sys.argv[1:]
    sys.path.insert(0, tests_dir)

    import torch
    from hub_server import loopback_only
    from transformers import AutoModel, AutoTokenizer

    with loopback_only():
        tokenizer = AutoTokenizer.from_pretrained(repo_id)
        model = AutoModel.from_pretrained(repo_id).eval()
    encoding = tokenizer(sentence, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**encoding).last_hidden_state
    torch.save({"input_ids": encoding["input_ids"], "hidden": hidden}, out)
    """
)


@pytest.fixture(autouse=True)
def _online_on_loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """CI runs with HF_HUB_OFFLINE=1: let `huggingface_hub` in this process go online, to 127.0.0.1 only."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    with loopback_only():
        yield


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stock tiny BERT (random weights, safetensors) and a word-level fast tokenizer, saved together."""
    folder = tmp_path_factory.mktemp("tiny")
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", *sorted(set(SENTENCE.split()))]
    backend = Tokenizer(models.WordLevel({word: i for i, word in enumerate(words)}, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]"
    )
    tokenizer.save_pretrained(folder)
    config = BertConfig(
        vocab_size=len(words),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(folder)
    return folder


@pytest.fixture
def hub(tiny_model_dir: Path) -> Iterator[LocalHub]:
    """A running `LocalHub` holding `org/tiny`, pushed with `create_repo` and `upload_folder`."""
    with LocalHub() as local_hub:
        api = HfApi(endpoint=local_hub.endpoint, token=TOKEN)
        api.create_repo(REPO_ID)
        api.upload_folder(repo_id=REPO_ID, folder_path=tiny_model_dir, commit_message="Add tiny model")
        yield local_hub


def test_upload_folder_commits_every_file(hub: LocalHub, tiny_model_dir: Path) -> None:
    local = {path.name: path.read_bytes() for path in tiny_model_dir.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= local.keys()
    assert hub.files(REPO_ID) == local
    assert sorted(HfApi(endpoint=hub.endpoint).list_repo_files(REPO_ID)) == sorted(local)
    writes = [request for request in hub.requests if request.method == "POST"]
    assert [request.path for request in writes] == [
        "/api/repos/create",
        f"/api/models/{REPO_ID}/preupload/main",
        f"/api/models/{REPO_ID}/commit/main",
    ]
    assert all(request.authorized for request in writes)


def test_from_pretrained_in_fresh_process_matches_local_folder(
    hub: LocalHub, tiny_model_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "outputs.pt"
    subprocess.run(
        [sys.executable, "-c", _LOAD_FROM_HUB, str(Path(__file__).parent), REPO_ID, SENTENCE, str(out)],
        env=hub.client_env(tmp_path / "empty_cache"),
        check=True,
        timeout=120,
    )
    from_hub = torch.load(out)

    tokenizer = PreTrainedTokenizerFast.from_pretrained(tiny_model_dir)
    model = BertModel.from_pretrained(tiny_model_dir).eval()
    encoding = tokenizer(SENTENCE, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**encoding).last_hidden_state
    assert torch.equal(from_hub["input_ids"], encoding["input_ids"])
    assert torch.equal(from_hub["hidden"], hidden)
    downloaded = {
        request.path.rsplit("/", 1)[1]
        for request in hub.requests
        if request.method == "GET" and request.path.startswith(f"/{REPO_ID}/resolve/")
    }
    assert {"config.json", "tokenizer.json", "model.safetensors"} <= downloaded


def test_tree_lists_nested_files_and_their_folders(hub: LocalHub) -> None:
    api = HfApi(endpoint=hub.endpoint, token=TOKEN)
    api.upload_file(path_or_fileobj=b"x", path_in_repo="a/b/c.txt", repo_id=REPO_ID, commit_message="Nest")
    assert "a/b/c.txt" in api.list_repo_files(REPO_ID)
    top = {entry.path: type(entry).__name__ for entry in api.list_repo_tree(REPO_ID)}
    assert top["a"] == "RepoFolder" and "a/b" not in top
    nested = {entry.path for entry in api.list_repo_tree(REPO_ID, path_in_repo="a", recursive=True)}
    assert nested == {"a/b", "a/b/c.txt"}


def test_missing_entries_map_to_huggingface_hub_errors(hub: LocalHub, tmp_path: Path) -> None:
    api = HfApi(endpoint=hub.endpoint)
    with pytest.raises(EntryNotFoundError):
        api.hf_hub_download(REPO_ID, "adapter_config.json", cache_dir=tmp_path)
    with pytest.raises(RevisionNotFoundError):
        api.hf_hub_download(REPO_ID, "config.json", revision="0" * 40, cache_dir=tmp_path)
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("org/missing")
    assert not api.file_exists(REPO_ID, "model.safetensors.index.json")


def test_download_by_commit_id_serves_that_commit(hub: LocalHub, tmp_path: Path) -> None:
    api = HfApi(endpoint=hub.endpoint, token=TOKEN)
    first = api.model_info(REPO_ID).sha
    api.upload_file(
        path_or_fileobj=b"{}", path_in_repo="config.json", repo_id=REPO_ID, commit_message="Empty"
    )
    assert api.model_info(REPO_ID).sha != first
    old = Path(api.hf_hub_download(REPO_ID, "config.json", revision=first, cache_dir=tmp_path))
    new = Path(api.hf_hub_download(REPO_ID, "config.json", cache_dir=tmp_path))
    assert json.loads(old.read_text())["model_type"] == "bert"
    assert new.read_bytes() == b"{}"


def test_unchanged_upload_makes_no_commit(hub: LocalHub, tiny_model_dir: Path) -> None:
    api = HfApi(endpoint=hub.endpoint, token=TOKEN)
    head = api.model_info(REPO_ID).sha
    info = api.upload_folder(repo_id=REPO_ID, folder_path=tiny_model_dir)
    assert info.oid == head
    assert sum(request.path.endswith("/commit/main") for request in hub.requests) == 1


def test_writes_need_a_token(hub: LocalHub) -> None:
    with pytest.raises(HfHubHTTPError) as raised:
        HfApi(endpoint=hub.endpoint, token=False).create_repo("org/other")
    assert raised.value.response.status_code == 401


def test_existing_repo_is_a_conflict_unless_exist_ok(hub: LocalHub) -> None:
    api = HfApi(endpoint=hub.endpoint, token=TOKEN)
    with pytest.raises(HfHubHTTPError) as raised:
        api.create_repo(REPO_ID)
    assert raised.value.response.status_code == 409
    assert api.create_repo(REPO_ID, exist_ok=True).repo_id == REPO_ID


def test_server_stops_at_context_exit() -> None:
    with LocalHub() as hub:
        request = urllib.request.Request(
            f"{hub.endpoint}/api/whoami-v2", headers={"Authorization": "Bearer x"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.load(response)["name"]
    with pytest.raises(OSError):
        urllib.request.urlopen(request, timeout=5)
