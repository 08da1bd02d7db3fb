"""A loopback server speaking the part of the Hugging Face Hub HTTP API that `huggingface_hub` and
`transformers` use to push and load model repositories, for tests that must not leave 127.0.0.1.

    with LocalHub() as hub:
        api = HfApi(endpoint=hub.endpoint, token="hf_local")
        api.create_repo("org/tiny")
        api.upload_folder(repo_id="org/tiny", folder_path=folder)
        # a subprocess with HF_ENDPOINT=hub.endpoint can now `from_pretrained("org/tiny")`

Repositories live in memory, model repositories only, with one branch (`main`). Every upload is
answered with upload mode "regular" (file content travels base64-encoded inside the commit), so no
LFS or Xet storage is involved. Any bearer token is accepted; writes need one.
"""

import base64
import hashlib
import json
import os
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, unquote, urlsplit

_USER_NAME = "local-user"
_BRANCH = "main"

# /api/models/{org}/{name}[/{action}/{revision}[/{path}]]
_API_MODEL = re.compile(
    r"^/api/models/(?P<repo>[^/]+/[^/]+)(?:/(?P<action>revision|tree|preupload|commit)/(?P<rev>[^/]+)(?P<path>/.*)?)?$"
)
# /{org}/{name}/resolve/{revision}/{path}
_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<path>.+)$")


def git_blob_oid(content: bytes) -> str:
    """Git's object id of a file: what the Hub reports as a regular file's `oid` and `ETag`.

    Args:
        content (`bytes`): the file content.

    Returns:
        `str`: 40 hex digits.
    """
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


@contextmanager
def loopback_only() -> Iterator[None]:
    """Refuse, while inside, every name lookup and IP connection of this process not for 127.0.0.1.

    Covers Python code only (`socket.getaddrinfo`, `socket.socket.connect`), not native extensions.

    Yields:
        `None`; a refused lookup raises `socket.gaierror`, a refused connection `ConnectionRefusedError`.
    """
    getaddrinfo, connect = socket.getaddrinfo, socket.socket.connect

    def lookup_loopback(host: str | bytes | None, *args: object, **kwargs: object) -> list:
        if host not in (None, "127.0.0.1", b"127.0.0.1"):
            raise socket.gaierror(socket.EAI_NONAME, f"traffic must stay on 127.0.0.1, not {host!r}")
        return getaddrinfo(host, *args, **kwargs)

    def connect_to_loopback(sock: socket.socket, address: object) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] != "127.0.0.1":
            raise ConnectionRefusedError(f"traffic must stay on 127.0.0.1, not {address}")
        connect(sock, address)

    socket.getaddrinfo, socket.socket.connect = lookup_loopback, connect_to_loopback
    try:
        yield
    finally:
        socket.getaddrinfo, socket.socket.connect = getaddrinfo, connect


@dataclass(frozen=True)
class HubRequest:
    """One request the server received.

    Args:
        method (`str`): HTTP method, e.g. `"HEAD"`.
        path (`str`): URL path without the query, e.g. `"/org/tiny/resolve/main/config.json"`.
        query (`str`): the raw query string, `""` when there is none.
        authorized (`bool`): whether it carried a bearer token.
    """

    method: str
    path: str
    query: str
    authorized: bool


@dataclass(frozen=True)
class _Commit:
    oid: str
    title: str
    files: dict[str, bytes]


@dataclass
class _Repo:
    commits: list[_Commit] = field(default_factory=list)

    def snapshot(self, revision: str) -> _Commit | None:
        """The commit a revision names: the branch head for `main`, else a full commit id."""
        if revision == _BRANCH:
            return self.commits[-1]
        return next((commit for commit in self.commits if commit.oid == revision), None)


class _HubError(Exception):
    """An error answer: status, the `X-Error-Code` that `huggingface_hub` maps to an exception, and the
    commit to report in `X-Repo-Commit` (so that clients cache that a file is missing)."""

    def __init__(self, status: HTTPStatus, message: str, code: str | None = None, commit: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.commit = commit


class _HubState:
    """The repositories and the request log, shared by the handler threads under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.repos: dict[str, _Repo] = {}
        self.requests: list[HubRequest] = []

    def repo(self, repo_id: str) -> _Repo:
        if repo_id not in self.repos:
            raise _HubError(HTTPStatus.NOT_FOUND, f"Repository {repo_id} not found", "RepoNotFound")
        return self.repos[repo_id]

    def commit(self, repo_id: str, revision: str) -> _Commit:
        snapshot = self.repo(repo_id).snapshot(revision)
        if snapshot is None:
            raise _HubError(HTTPStatus.NOT_FOUND, f"Revision {revision} not found", "RevisionNotFound")
        return snapshot

    def create_repo(self, repo_id: str) -> bool:
        """Create an empty repository; `False` when it exists already."""
        if repo_id in self.repos:
            return False
        self.repos[repo_id] = _Repo()
        self.add_commit(repo_id, "initial commit", {})
        return True

    def add_commit(self, repo_id: str, title: str, files: dict[str, bytes]) -> _Commit:
        repo = self.repos[repo_id]
        parent = repo.commits[-1].oid if repo.commits else ""
        listing = json.dumps({path: git_blob_oid(content) for path, content in sorted(files.items())})
        oid = hashlib.sha1(f"{repo_id}\n{parent}\n{title}\n{listing}".encode()).hexdigest()
        commit = _Commit(oid=oid, title=title, files=files)
        repo.commits.append(commit)
        return commit


class _HubHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests; routes by method and path to the `_HubState`."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the Hub; every answer carries a Content-Length
    timeout = 30  # an idle keep-alive connection frees its thread after this many seconds
    server: "_HubHTTPServer"

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output clean: the request log is `LocalHub.requests`."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        state = self.server.state
        authorized = self.headers.get("Authorization", "").startswith("Bearer ")
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            with state.lock:
                state.requests.append(HubRequest(self.command, url.path, url.query, authorized))
                self._route(url.path, parse_qs(url.query), body, authorized)
        except _HubError as error:
            # Header values must be Latin-1; escape anything else (a non-ASCII file name).
            headers = {"X-Error-Message": str(error).encode("ascii", "backslashreplace").decode()}
            if error.code is not None:
                headers["X-Error-Code"] = error.code
            if error.commit is not None:
                headers["X-Repo-Commit"] = error.commit
            self._send_json({"error": str(error)}, error.status, headers)

    def _route(self, path: str, query: dict[str, list[str]], body: bytes, authorized: bool) -> None:
        state = self.server.state
        if (match := _RESOLVE.match(path)) and self.command in ("GET", "HEAD"):
            self._resolve(match["repo"], unquote(match["rev"]), unquote(match["path"]))
        elif path == "/api/whoami-v2" and self.command == "GET":
            self._require_token(authorized)
            self._send_json(
                {"type": "user", "name": _USER_NAME, "orgs": [], "auth": {"type": "access_token"}}
            )
        elif path == "/api/repos/create" and self.command == "POST":
            self._require_token(authorized)
            self._create_repo(json.loads(body))
        elif path == "/api/validate-yaml" and self.command == "POST":
            self._send_json({"errors": [], "warnings": []})
        elif path == "/api/agent-harnesses" and self.command == "GET":
            # huggingface_hub fetches this registry to tag its user agent; empty: no agent detected.
            self._send_json({"standardEnvVars": [], "harnesses": {}})
        elif (match := _API_MODEL.match(path)) is None:
            raise _HubError(HTTPStatus.NOT_FOUND, f"LocalHub does not serve {self.command} {path}")
        elif match["action"] in (None, "revision") and self.command == "GET":
            commit = state.commit(match["repo"], unquote(match["rev"] or _BRANCH))
            self._send_json(self._model_info(match["repo"], commit))
        elif match["action"] == "tree" and self.command == "GET":
            commit = state.commit(match["repo"], unquote(match["rev"]))
            folder = unquote(match["path"] or "").strip("/")
            recursive = query.get("recursive", ["false"])[0].lower() == "true"
            self._send_json(self._tree(commit, folder, recursive))
        elif match["action"] in ("preupload", "commit") and self.command == "POST":
            self._require_token(authorized)
            if query.get("create_pr") == ["1"]:
                raise _HubError(HTTPStatus.BAD_REQUEST, "LocalHub does not support pull requests")
            revision = unquote(match["rev"])
            if revision != _BRANCH:
                raise _HubError(
                    HTTPStatus.NOT_FOUND, f"LocalHub commits to '{_BRANCH}' only", "RevisionNotFound"
                )
            if match["action"] == "preupload":
                self._preupload(state.commit(match["repo"], revision), json.loads(body))
            else:
                self._commit(match["repo"], body)
        else:
            raise _HubError(HTTPStatus.METHOD_NOT_ALLOWED, f"LocalHub does not serve {self.command} {path}")

    def _require_token(self, authorized: bool) -> None:
        if not authorized:
            raise _HubError(HTTPStatus.UNAUTHORIZED, "Invalid credentials in Authorization header")

    def _create_repo(self, payload: dict) -> None:
        if payload.get("type", "model") != "model" or not payload.get("organization"):
            raise _HubError(HTTPStatus.BAD_REQUEST, "LocalHub hosts model repositories named 'org/name' only")
        repo_id = f"{payload['organization']}/{payload['name']}"
        url = f"{self.server.endpoint}/{repo_id}"
        if self.server.state.create_repo(repo_id):
            self._send_json({"url": url, "name": repo_id, "id": repo_id})
        else:
            # As on the Hub, the conflict names the repository: `create_repo(exist_ok=True)` reads its url.
            message = f"You already created this model repo: {repo_id}"
            self._send_json({"error": message, "url": url}, HTTPStatus.CONFLICT, {"X-Error-Message": message})

    def _model_info(self, repo_id: str, commit: _Commit) -> dict:
        siblings = [
            {"rfilename": path, "size": len(content), "blobId": git_blob_oid(content)}
            for path, content in sorted(commit.files.items())
        ]
        return {
            "id": repo_id,
            "author": repo_id.split("/")[0],
            "sha": commit.oid,
            "private": False,
            "tags": [],
            "siblings": siblings,
        }

    def _tree(self, commit: _Commit, folder: str, recursive: bool) -> list[dict]:
        prefix = f"{folder}/" if folder else ""
        files = {path: content for path, content in commit.files.items() if path.startswith(prefix)}
        if folder and not files:
            raise _HubError(HTTPStatus.NOT_FOUND, f"{folder} does not exist", "EntryNotFound", commit.oid)
        entries: dict[str, dict] = {}
        for path, content in sorted(files.items()):
            parts = path[len(prefix) :].split("/")
            # As on the Hub, folders are entries too: all of them when recursive, else the first level.
            folders = parts[:-1] if recursive else parts[:-1][:1]
            for level in range(1, len(folders) + 1):
                sub = prefix + "/".join(parts[:level])
                entries.setdefault(sub, {"type": "directory", "path": sub, "oid": git_blob_oid(sub.encode())})
            if recursive or len(parts) == 1:
                entries[path] = {
                    "type": "file",
                    "path": path,
                    "oid": git_blob_oid(content),
                    "size": len(content),
                }
        return list(entries.values())

    def _preupload(self, commit: _Commit, payload: dict) -> None:
        files = []
        for file in payload["files"]:
            existing = commit.files.get(file["path"])
            # The oid of the file already there lets the client skip unchanged files.
            oid = git_blob_oid(existing) if existing is not None else None
            files.append({"path": file["path"], "uploadMode": "regular", "shouldIgnore": False, "oid": oid})
        self._send_json({"files": files, "commitOid": commit.oid})

    def _commit(self, repo_id: str, body: bytes) -> None:
        state = self.server.state
        files = dict(state.commit(repo_id, _BRANCH).files)
        title = ""
        for line in body.splitlines():
            operation = json.loads(line)
            key, value = operation["key"], operation["value"]
            if key == "header":
                title = value["summary"]
            elif key == "file" and value.get("encoding") == "base64":
                files[value["path"]] = base64.b64decode(value["content"])
            elif key == "deletedFile":
                files.pop(value["path"], None)
            elif key == "deletedFolder":
                folder = value["path"].rstrip("/") + "/"
                files = {path: content for path, content in files.items() if not path.startswith(folder)}
            else:
                raise _HubError(HTTPStatus.BAD_REQUEST, f"LocalHub cannot apply commit operation {key!r}")
        commit = state.add_commit(repo_id, title, files)
        self._send_json(
            {
                "success": True,
                "commitOid": commit.oid,
                "pullRequestUrl": None,
                "commitUrl": f"{self.server.endpoint}/{repo_id}/commit/{commit.oid}",
            }
        )

    def _resolve(self, repo_id: str, revision: str, path: str) -> None:
        commit = self.server.state.commit(repo_id, revision)
        if path not in commit.files:
            raise _HubError(HTTPStatus.NOT_FOUND, f"{path} does not exist", "EntryNotFound", commit.oid)
        content = commit.files[path]
        headers = {"ETag": f'"{git_blob_oid(content)}"', "X-Repo-Commit": commit.oid}
        self._send(content, HTTPStatus.OK, "application/octet-stream", headers)

    def _send_json(
        self, payload: object, status: HTTPStatus = HTTPStatus.OK, headers: dict[str, str] | None = None
    ) -> None:
        self._send(json.dumps(payload).encode(), status, "application/json", headers or {})

    def _send(self, content: bytes, status: HTTPStatus, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)


class _HubHTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # keep-alive connections must not hold up shutdown

    def __init__(self, state: _HubState) -> None:
        super().__init__(("127.0.0.1", 0), _HubHandler)
        self.state = state

    @property
    def endpoint(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class LocalHub:
    """An in-memory Hub on 127.0.0.1, on an ephemeral port, serving from a background thread.

    Implements: `POST /api/repos/create`, `POST /api/validate-yaml`, `GET /api/whoami-v2`,
    `GET /api/agent-harnesses`, `GET /api/models/{repo}[/revision/{rev}]`,
    `GET /api/models/{repo}/tree/{rev}[/{path}]`, `POST /api/models/{repo}/preupload/main`,
    `POST /api/models/{repo}/commit/main`, and `GET`/`HEAD /{repo}/resolve/{rev}/{path}`.
    Missing repositories, revisions and files are 404s with the `X-Error-Code` that `huggingface_hub`
    turns into `RepositoryNotFoundError`, `RevisionNotFoundError` and `EntryNotFoundError`.

    Use as a context manager; the server stops at exit:

        with LocalHub() as hub:
            HfApi(endpoint=hub.endpoint, token="hf_local").create_repo("org/tiny")
            assert hub.requests[0].path == "/api/repos/create"
    """

    def __init__(self) -> None:
        self._state = _HubState()
        self._server: _HubHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        """`str`: the base URL to use as `HF_ENDPOINT`, e.g. `"http://127.0.0.1:40123"`."""
        if self._server is None:
            raise RuntimeError("LocalHub is not running; use it as a context manager")
        return self._server.endpoint

    @property
    def requests(self) -> list[HubRequest]:
        """`list[HubRequest]`: a copy of the requests received so far, oldest first."""
        with self._state.lock:
            return list(self._state.requests)

    def client_env(self, hf_home: str | Path) -> dict[str, str]:
        """The environment for a child process whose `huggingface_hub` and `transformers` use this server.

        It points `HF_ENDPOINT` here, turns offline mode off (CI runs with `HF_HUB_OFFLINE=1`) and gives
        the child its own cache, so that everything it loads comes through this server.

        Args:
            hf_home (`str | Path`): an empty folder for `HF_HOME`.

        Returns:
            `dict[str, str]`: `os.environ` with those changes, for `subprocess.run(..., env=...)`.
        """
        env = {**os.environ, "HF_ENDPOINT": self.endpoint, "HF_HOME": str(hf_home), "HF_HUB_OFFLINE": "0"}
        for name in ("TRANSFORMERS_OFFLINE", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE"):
            env.pop(name, None)
        return env

    def files(self, repo_id: str, revision: str = "main") -> dict[str, bytes]:
        """The files of a repository at a revision.

        Args:
            repo_id (`str`): `"org/name"`.
            revision (`str`, defaults to `"main"`): a branch name or a full commit id.

        Returns:
            `dict[str, bytes]`: path in the repository to content.
        """
        with self._state.lock:
            return dict(self._state.commit(repo_id, revision).files)

    def __enter__(self) -> "LocalHub":
        self._server = _HubHTTPServer(self._state)
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-hub", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = None
