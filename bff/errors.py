"""The one error type the BFF raises, and its JSON form.

Every failure a browser can see before a stream starts is an `ApiError`;
after a stream has started, the same fields travel as an `error` event.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class ApiError(Exception):
    """An error with an HTTP status, a stable machine code and a human message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        retryable: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retryable = retryable
        self.headers = headers or {}

    def as_event(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "retryable": self.retryable}

    def response(self) -> Response:
        return JSONResponse(
            {"error": {"code": self.code, "message": self.message}},
            status_code=self.status,
            headers=self.headers,
        )


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()
