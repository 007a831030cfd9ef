"""The client library agency systems (and the CLI) use: the same door as everyone else."""

from __future__ import annotations

import time
from typing import Any

import httpx


class SubmissionError(RuntimeError):
    pass


class Client:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url,
            timeout=timeout,
            transport=transport,
            headers={"Authorization": f"Bearer {api_key}"},
        )

    def submit(self, submission: dict[str, Any], *, wait: float = 30.0) -> dict[str, Any]:
        """Submit and return the outcome; with `wait` > 0, poll until the exchange has decided."""
        response = self._http.post("/v1/submissions", json=submission)
        if response.status_code in (400, 401, 403) or (
            response.status_code == 422 and "detail" in response.json()
        ):
            raise SubmissionError(f"{response.status_code}: {response.text}")
        outcome = response.json()
        deadline = time.monotonic() + wait
        delay = 0.02
        while outcome["status"] == "pending" and time.monotonic() < deadline:
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)
            polled = self._http.get(f"/v1/submissions/{submission['submission_id']}")
            if polled.status_code == 200:
                outcome = polled.json()
        return outcome

    def get(self, path: str, **params: Any) -> Any:
        response = self._http.get(path, params=params)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
