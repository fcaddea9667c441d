"""A git repository served over smart HTTP on loopback: `git http-backend` (CGI) as a route of
the suite's LoopbackServer, refusing (401) any request without the header it demands, as a
central policy host behind a credential does."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from .http import Answer, Request, Route


def git_http_backend(root: Path, demand: tuple[str, str]) -> Route:
    """A route running `git http-backend` over the bare repositories in `root`; 401 unless
    the request carries header `demand[0]` with value `demand[1]`."""

    def route(request: Request) -> Answer:
        name, value = demand
        if request.headers.get(name.lower()) != value:
            return Answer(401, raw=b"credential required", content_type="text/plain")
        path, _, query = request.target.partition("?")
        cgi = {
            "GIT_PROJECT_ROOT": str(root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": request.method,
            "CONTENT_TYPE": request.headers.get("content-type", ""),
            "CONTENT_LENGTH": str(len(request.raw)),
            "HTTP_CONTENT_ENCODING": request.headers.get("content-encoding", ""),
            "GIT_PROTOCOL": request.headers.get("git-protocol", ""),
            "PATH": os.environ.get("PATH", ""),
        }
        done = subprocess.run(
            ["git", "http-backend"],
            input=request.raw,
            env=cgi,
            capture_output=True,
            timeout=60,
            check=False,
        )
        head, _, body = done.stdout.partition(b"\r\n\r\n")
        headers, status = {}, 200
        for line in head.decode("latin-1").split("\r\n"):
            key, _, value = line.partition(": ")
            if key.lower() == "status":
                status = int(value.split()[0])
            elif key:
                headers[key] = value
        kind = headers.pop("Content-Type", None)
        return Answer(status, raw=body, headers=headers, content_type=kind)

    return route
