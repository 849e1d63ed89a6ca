"""The consent registry over HTTP: a small ASGI app (Starlette), served by uvicorn.

    guardrail consent serve --port 8080          # tokens from $GUARDRAIL_CONSENT_TOKENS

Endpoints (JSON; ``/v1/*`` need ``Authorization: Bearer <token>``):

==========================  ===============================================================
``POST /v1/events``         record a choice (201); ``Sec-GPC: 1`` marks it; ``?receipt=1``
                            adds a signed receipt
``POST /v1/withdraw``       withdraw some or every consent (and optionally opt out)
``POST /v1/status``         state per purpose at an instant
``POST /v1/gpc``            GPC-aware opt-out: records ``Sec-GPC: 1`` as an opt-out of sale
                            and sharing (11 CCR §7025(b)) and says it was honoured (§7025(c)(6))
``POST /v1/history``        a subject's events (access / portability)
``POST /v1/erase``          erase a subject's history behind a tombstone
``GET /v1/receipts/{ref}``  signed JWT receipt and its Kantara 1.1 view
``GET /v1/verify``          verify the hash chain
``GET /openapi.json``       this API as OpenAPI 3.1 (public)
``GET /.well-known/jwks.json``  receipt verification keys (public)
``GET /.well-known/gpc.json``   the site's GPC support declaration (public)
``GET /healthz``            liveness (public)
==========================  ===============================================================

Subject identifiers travel in request *bodies*, never in URLs, so proxies and access logs do
not see them. Bodies are capped (``max_body``, 64 KiB by default: 413), must be JSON (415),
and are validated (422 naming the field, never echoing the value). Every error body is a
:class:`~guardrail.model.consent.ServiceError`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from guardrail.errors import ConfigError, CryptoError, GuardrailError, UsageError
from guardrail.model.consent import (
    ConsentEvent,
    ConsentRequest,
    ConsentState,
    KantaraReceipt,
    ServiceError,
    StatusQuery,
    SubjectQuery,
    VerifyReport,
    WithdrawRequest,
)

if TYPE_CHECKING:
    from guardrail.consent.registry import ConsentRegistry

__all__ = ["DEFAULT_MAX_BODY", "MIN_TOKEN_LENGTH", "create_app", "openapi_document", "serve"]

DEFAULT_MAX_BODY = 64 * 1024
MIN_TOKEN_LENGTH = 16
_log = logging.getLogger("guardrail.consent.service")
_HONOURED = {
    "en": "Opt-Out Request Honored",  # wording of 11 CCR §7025(c)(6) ◐
    "zh": "已按您的选择退出出售和共享（已识别全球隐私控制信号）",
}
_NO_SIGNAL = {
    "en": "No opt-out preference signal (Sec-GPC: 1) was received",
    "zh": "未收到退出偏好信号（Sec-GPC: 1）",
}
_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


class _HttpError(Exception):
    def __init__(
        self, status: int, message: str, hint: str | None = None, problems: Sequence[str] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.hint = hint
        self.problems = tuple(problems)


def _dump(model: BaseModel) -> Any:
    return model.model_dump(mode="json", exclude_none=False)


def create_app(
    registry: ConsentRegistry,
    *,
    tokens: Sequence[str],
    max_body: int = DEFAULT_MAX_BODY,
) -> Any:
    """The ASGI application. ``tokens`` are the accepted bearer tokens (at least 16 chars)."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    if not tokens:
        raise ConfigError(
            "the consent service needs at least one bearer token",
            hint="set GUARDRAIL_CONSENT_TOKENS (comma-separated) or pass --token-file FILE",
        )
    if any(len(t) < MIN_TOKEN_LENGTH for t in tokens):
        raise ConfigError(
            f"bearer tokens must be at least {MIN_TOKEN_LENGTH} characters long",
            hint="generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'",
        )
    accepted = [hashlib.sha256(t.encode("utf-8")).digest() for t in tokens]

    def error(exc: _HttpError) -> Response:
        body = ServiceError(error=exc.message, hint=exc.hint, problems=exc.problems)
        headers = dict(_SECURITY_HEADERS)
        if exc.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="guardrail-consent"'
        return JSONResponse(
            body.model_dump(mode="json", exclude_none=True),
            status_code=exc.status,
            headers=headers,
        )

    def ok(payload: Any, status: int = 200) -> Response:
        return JSONResponse(payload, status_code=status, headers=_SECURITY_HEADERS)

    def authorised(request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _HttpError(401, "missing bearer token", "send 'Authorization: Bearer <token>'")
        digest = hashlib.sha256(token.strip().encode("utf-8")).digest()
        if not any(hmac.compare_digest(digest, a) for a in accepted):
            raise _HttpError(401, "invalid bearer token", "check the service's token")

    async def body(request: Request, model: type[Any], extra: dict[str, Any] | None = None) -> Any:
        ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if ctype != "application/json":
            raise _HttpError(415, "the body must be JSON", "send Content-Type: application/json")
        length = request.headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                raise _HttpError(400, "invalid Content-Length header")
            if int(length) > max_body:
                raise _HttpError(
                    413, f"the body is larger than {max_body} bytes", "send one event per request"
                )
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_body:
                raise _HttpError(
                    413, f"the body is larger than {max_body} bytes", "send one event per request"
                )
            chunks.append(chunk)
        try:
            data = json.loads(b"".join(chunks))
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise _HttpError(400, "the body is not valid JSON", "send a JSON object") from None
        if not isinstance(data, dict):
            raise _HttpError(422, "the body must be a JSON object")
        if extra:
            data.update(extra)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            problems = [
                f"{'.'.join(str(p) for p in e['loc']) or 'body'}: "
                f"{str(e['msg']).removeprefix('Value error, ')}"
                for e in exc.errors(include_input=False, include_url=False)
            ]
            raise _HttpError(
                422,
                "the body does not describe a valid request",
                "see /openapi.json for the expected fields",
                problems,
            ) from None

    def endpoint(
        handler: Callable[[Request], Awaitable[Response]], *, public: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            try:
                if not public:
                    authorised(request)
                return await handler(request)
            except _HttpError as exc:
                return error(exc)
            except ConfigError as exc:
                return error(_HttpError(503, f"the service is not configured: {exc.message}"))
            except (UsageError, CryptoError) as exc:
                return error(_HttpError(422, exc.message, exc.hint))
            except GuardrailError as exc:
                _log.error("consent request failed: %s", type(exc).__name__)
                return error(_HttpError(503, exc.message, exc.hint))
            except Exception as exc:  # noqa: BLE001 - never a traceback or data in a response
                _log.error("consent request crashed: %s", type(exc).__name__)
                return error(_HttpError(500, "internal error"))

        return run

    def gpc_signal(request: Request) -> bool:
        return request.headers.get("sec-gpc", "").strip() == "1"

    async def record(request: Request) -> Response:
        extra = {"gpc": True} if gpc_signal(request) else None
        req: ConsentRequest = await body(request, ConsentRequest, extra)
        event = await run_in_threadpool(registry.record_request, req)
        payload: dict[str, Any] = {"event": _dump(event)}
        if request.query_params.get("receipt") in ("1", "true", "yes"):
            payload["receipt"] = await run_in_threadpool(registry.receipt, event.seq)
        return ok(payload, 201)

    async def withdraw(request: Request) -> Response:
        req: WithdrawRequest = await body(request, WithdrawRequest)

        def go() -> tuple[ConsentEvent, ...]:
            return registry.withdraw(
                req.subject,
                req.purposes,
                at=req.at,
                channel=req.channel,
                evidence=req.evidence,
                evidence_ref=req.evidence_ref,
                opt_out=req.opt_out,
            )

        events = await run_in_threadpool(go)
        return ok({"events": [_dump(e) for e in events]})

    async def status(request: Request) -> Response:
        req: StatusQuery = await body(request, StatusQuery)
        states: tuple[ConsentState, ...] = await run_in_threadpool(
            lambda: registry.statuses(req.subject, req.purposes, at=req.at)
        )
        return ok({"states": [_dump(s) for s in states]})

    async def gpc(request: Request) -> Response:
        req: SubjectQuery = await body(request, SubjectQuery)
        if not gpc_signal(request):
            return ok({"gpc": False, "recorded": False, "message": _NO_SIGNAL})
        event = await run_in_threadpool(lambda: registry.record_gpc(req.subject, region=req.region))
        return ok({"gpc": True, "recorded": True, "message": _HONOURED, "event": _dump(event)})

    async def history(request: Request) -> Response:
        req: SubjectQuery = await body(request, SubjectQuery)
        events = await run_in_threadpool(registry.history, req.subject)
        return ok({"events": [_dump(e) for e in events]})

    async def erase(request: Request) -> Response:
        req: SubjectQuery = await body(request, SubjectQuery)
        done = await run_in_threadpool(registry.erase, req.subject)
        return ok(
            {
                "erased": done.erased,
                "tombstone": _dump(done.tombstone) if done.tombstone is not None else None,
            }
        )

    async def receipt(request: Request) -> Response:
        ref = request.path_params["ref"]
        token = await run_in_threadpool(registry.receipt, ref)
        if request.query_params.get("format") == "jwt":
            return Response(token, media_type="application/jwt", headers=_SECURITY_HEADERS)
        view = await run_in_threadpool(registry.kantara, ref)
        return ok({"receipt": token, "kantara": view})

    async def verify(request: Request) -> Response:
        report: VerifyReport = await run_in_threadpool(registry.verify)
        return ok(_dump(report))

    async def jwks(request: Request) -> Response:
        return JSONResponse(registry.jwks(), headers={"Cache-Control": "max-age=300"})

    async def gpc_json(request: Request) -> Response:
        notices = registry.catalog.notices
        return JSONResponse({"gpc": True, "lastUpdate": notices[-1].effective.isoformat()})

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document())

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        message = "no such endpoint" if status == 404 else "method not allowed"
        return error(_HttpError(status, message, "see /openapi.json"))

    routes = [
        Route("/v1/events", endpoint(record), methods=["POST"]),
        Route("/v1/withdraw", endpoint(withdraw), methods=["POST"]),
        Route("/v1/status", endpoint(status), methods=["POST"]),
        Route("/v1/gpc", endpoint(gpc), methods=["POST"]),
        Route("/v1/history", endpoint(history), methods=["POST"]),
        Route("/v1/erase", endpoint(erase), methods=["POST"]),
        Route("/v1/receipts/{ref}", endpoint(receipt), methods=["GET"]),
        Route("/v1/verify", endpoint(verify), methods=["GET"]),
        Route("/.well-known/jwks.json", endpoint(jwks, public=True), methods=["GET"]),
        Route("/.well-known/gpc.json", endpoint(gpc_json, public=True), methods=["GET"]),
        Route("/openapi.json", endpoint(openapi, public=True), methods=["GET"]),
        Route("/healthz", endpoint(health, public=True), methods=["GET"]),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={404: not_found, 405: not_found},
    )


def _freeze_startup_heap() -> None:
    """Move everything alive after start-up (modules, compiled validators, the catalog) out
    of the cyclic collector's reach: each full collection would otherwise rescan those ~70k
    objects that never die, which costs a busy registry ~15 % of its look-up rate
    (docs/benchmarks.md#consent-registry). Garbage made later is collected as usual."""
    import gc

    gc.collect()
    gc.freeze()


def serve(
    registry: ConsentRegistry,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    tokens: Sequence[str],
    max_body: int = DEFAULT_MAX_BODY,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the app with uvicorn until interrupted. The socket is bound before uvicorn
    starts (port 0 picks a free port); ``on_ready`` receives the URL."""
    import socket

    try:
        import uvicorn
    except ImportError:
        raise ConfigError(
            "the consent service needs uvicorn and starlette", hint="pip install 'guardrail[serve]'"
        ) from None
    app = create_app(registry, tokens=tokens, max_body=max_body)
    _freeze_startup_heap()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(
            f"cannot listen on {host}:{port} ({exc.strerror})",
            hint="choose another --port or --host",
        ) from None
    sock.listen(128)
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    if on_ready is not None:
        on_ready(f"http://{shown}:{sock.getsockname()[1]}")
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        server_header=False,
        timeout_keep_alive=5,
        limit_concurrency=256,
        lifespan="off",
    )
    # uvicorn shuts down gracefully on SIGINT/SIGTERM and then re-raises the signal; turn that
    # into a normal return so stopping the service is not an error.
    import signal
    import threading

    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, _stop)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except (_Stopped, KeyboardInterrupt):
        pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sock.close()


class _Stopped(Exception):
    """The service was asked to stop (SIGINT/SIGTERM)."""


def _stop(signum: int, frame: object) -> None:
    raise _Stopped


# -- OpenAPI ---------------------------------------------------------------------------------


def openapi_document() -> dict[str, Any]:
    """The service's OpenAPI 3.1 document (schemas generated from the pydantic models)."""
    from pydantic.json_schema import models_json_schema

    from guardrail import __version__

    models: list[tuple[type[BaseModel], Any]] = [
        (ConsentRequest, "validation"),
        (WithdrawRequest, "validation"),
        (StatusQuery, "validation"),
        (SubjectQuery, "validation"),
        (ConsentEvent, "serialization"),
        (ConsentState, "serialization"),
        (VerifyReport, "serialization"),
        (KantaraReceipt, "serialization"),
        (ServiceError, "serialization"),
    ]
    _, top = models_json_schema(models, ref_template="#/components/schemas/{model}")
    schemas = top.get("$defs", {})

    def ref(name: str) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{name}"}

    def json_body(name: str) -> dict[str, Any]:
        return {"required": True, "content": {"application/json": {"schema": ref(name)}}}

    def reply(description: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"description": description, "content": {"application/json": {"schema": schema}}}

    errors = {
        str(code): reply(text, ref("ServiceError"))
        for code, text in (
            (400, "malformed JSON"),
            (401, "missing or invalid bearer token"),
            (413, "body too large"),
            (415, "body is not JSON"),
            (422, "invalid request (fields named, values never echoed)"),
            (503, "registry unavailable or not configured"),
        )
    }

    def events_of(name: str) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {name: {"type": "array", "items": ref("ConsentEvent")}},
        }

    gpc_header = {
        "name": "Sec-GPC",
        "in": "header",
        "required": False,
        "description": "Global Privacy Control: '1' = opt out of sale and sharing",
        "schema": {"type": "string", "enum": ["1"]},
    }
    paths: dict[str, Any] = {
        "/v1/events": {
            "post": {
                "summary": "Record a consent event",
                "operationId": "record",
                "parameters": [
                    gpc_header,
                    {
                        "name": "receipt",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["1", "true", "yes"]},
                    },
                ],
                "requestBody": json_body("ConsentRequest"),
                "responses": {
                    "201": reply(
                        "recorded",
                        {
                            "type": "object",
                            "properties": {
                                "event": ref("ConsentEvent"),
                                "receipt": {"type": "string"},
                            },
                            "required": ["event"],
                        },
                    ),
                    **errors,
                },
            }
        },
        "/v1/withdraw": {
            "post": {
                "summary": "Withdraw consent (some purposes or all)",
                "operationId": "withdraw",
                "requestBody": json_body("WithdrawRequest"),
                "responses": {"200": reply("withdrawal events", events_of("events")), **errors},
            }
        },
        "/v1/status": {
            "post": {
                "summary": "Consent state per purpose",
                "operationId": "status",
                "requestBody": json_body("StatusQuery"),
                "responses": {
                    "200": reply(
                        "states",
                        {
                            "type": "object",
                            "properties": {
                                "states": {"type": "array", "items": ref("ConsentState")}
                            },
                        },
                    ),
                    **errors,
                },
            }
        },
        "/v1/gpc": {
            "post": {
                "summary": "Honour a Global Privacy Control signal (11 CCR §7025)",
                "operationId": "gpc",
                "parameters": [gpc_header],
                "requestBody": json_body("SubjectQuery"),
                "responses": {
                    "200": reply(
                        "whether a signal was received and recorded",
                        {
                            "type": "object",
                            "properties": {
                                "gpc": {"type": "boolean"},
                                "recorded": {"type": "boolean"},
                                "message": {
                                    "type": "object",
                                    "properties": {
                                        "en": {"type": "string"},
                                        "zh": {"type": "string"},
                                    },
                                },
                                "event": ref("ConsentEvent"),
                            },
                            "required": ["gpc", "recorded", "message"],
                        },
                    ),
                    **errors,
                },
            }
        },
        "/v1/history": {
            "post": {
                "summary": "A subject's events (access and portability)",
                "operationId": "history",
                "requestBody": json_body("SubjectQuery"),
                "responses": {"200": reply("events, oldest first", events_of("events")), **errors},
            }
        },
        "/v1/erase": {
            "post": {
                "summary": "Erase a subject's history behind a tombstone",
                "operationId": "erase",
                "requestBody": json_body("SubjectQuery"),
                "responses": {
                    "200": reply(
                        "erasure",
                        {
                            "type": "object",
                            "properties": {
                                "erased": {"type": "integer"},
                                "tombstone": {"anyOf": [ref("ConsentEvent"), {"type": "null"}]},
                            },
                        },
                    ),
                    **errors,
                },
            }
        },
        "/v1/receipts/{ref}": {
            "get": {
                "summary": "Signed receipt (JWT) and its Kantara 1.1 view",
                "operationId": "receipt",
                "parameters": [
                    {
                        "name": "ref",
                        "in": "path",
                        "required": True,
                        "description": "event id or sequence number",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "format",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["jwt", "json"]},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "receipt",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "receipt": {"type": "string"},
                                        "kantara": ref("KantaraReceipt"),
                                    },
                                }
                            },
                            "application/jwt": {"schema": {"type": "string"}},
                        },
                    },
                    **errors,
                },
            }
        },
        "/v1/verify": {
            "get": {
                "summary": "Verify the hash chain",
                "operationId": "verify",
                "responses": {"200": reply("report", ref("VerifyReport")), **errors},
            }
        },
        "/.well-known/jwks.json": {
            "get": {
                "summary": "Receipt verification keys",
                "operationId": "jwks",
                "security": [],
                "responses": {"200": reply("JWKS", {"type": "object"})},
            }
        },
        "/.well-known/gpc.json": {
            "get": {
                "summary": "GPC support declaration",
                "operationId": "gpcDeclaration",
                "security": [],
                "responses": {"200": reply("declaration", {"type": "object"})},
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "openapi",
                "security": [],
                "responses": {"200": reply("OpenAPI 3.1", {"type": "object"})},
            }
        },
        "/healthz": {
            "get": {
                "summary": "Liveness",
                "operationId": "health",
                "security": [],
                "responses": {"200": reply("alive", {"type": "object"})},
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "guardrail consent registry",
            "version": __version__,
            "description": "Append-only, hash-chained consent records with signed receipts "
            "(PIPL, GDPR, CCPA/CPRA).",
        },
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        },
        "paths": paths,
    }
