"""The HTTP service over real HTTP on loopback (uvicorn in a thread)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from tests.consent.conftest import NOW

from guardrail.consent import ConsentRegistry
from guardrail.consent.receipts import verify_receipt
from guardrail.consent.service import create_app, openapi_document
from guardrail.errors import ConfigError
from guardrail.testing import Canaries, capture_logs

TOKEN = "t0k3n-for-tests-0123456789"
T0 = NOW - timedelta(days=2)


class Server:
    def __init__(self, registry: ConsentRegistry, **kw: Any) -> None:
        import uvicorn

        app = create_app(registry, tokens=[TOKEN], **kw)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)  # connections queue here until uvicorn accepts: no waiting needed
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]})
        self.thread.start()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


@pytest.fixture
def server(registry: ConsentRegistry) -> Iterator[Server]:
    s = Server(registry, max_body=4096)
    yield s
    s.stop()


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    ) as c:
        yield c


def test_record_status_withdraw_over_http(client: httpx.Client, registry: ConsentRegistry) -> None:
    r = client.post(
        "/v1/events",
        json={
            "subject": "cust-1",
            "purpose": "marketing",
            "separate_consent": True,
            "occurred_at": T0.isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    event = r.json()["event"]
    assert event["seq"] == 1 and event["subject"] == registry.pseudonym("cust-1")
    assert r.headers["cache-control"] == "no-store"
    states = client.post("/v1/status", json={"subject": "cust-1", "purposes": ["marketing"]}).json()
    assert [(s["purpose"], s["valid"]) for s in states["states"]] == [("marketing", True)]
    w = client.post("/v1/withdraw", json={"subject": "cust-1"})
    assert [(e["purpose"], e["action"]) for e in w.json()["events"]] == [("marketing", "withdrawn")]
    states = client.post("/v1/status", json={"subject": "cust-1"}).json()["states"]
    assert {s["purpose"]: s["reason"] for s in states}["marketing"] == "withdrawn"
    history = client.post("/v1/history", json={"subject": "cust-1"}).json()["events"]
    assert [e["action"] for e in history] == ["given", "withdrawn"]
    assert client.get("/v1/verify").json()["ok"] is True


def test_receipts_over_http(client: httpx.Client, registry: ConsentRegistry) -> None:
    r = client.post(
        "/v1/events?receipt=1",
        json={"subject": "c", "purpose": "analytics", "occurred_at": T0.isoformat()},
    )
    token = r.json()["receipt"]
    jwks = httpx.get(client.base_url.join("/.well-known/jwks.json")).json()  # public
    assert verify_receipt(token, jwks).seq == 1
    got = client.get("/v1/receipts/1").json()
    assert (
        got["kantara"]["version"] == "KI-CR-v1.1.0"
        and verify_receipt(got["receipt"], jwks).seq == 1
    )
    raw = client.get(f"/v1/receipts/{r.json()['event']['event_id']}?format=jwt")
    assert raw.headers["content-type"].startswith("application/jwt") and raw.text.count(".") == 2
    assert client.get("/v1/receipts/999").status_code == 422


def test_gpc_endpoint_reads_the_header(client: httpx.Client, registry: ConsentRegistry) -> None:
    client.post(
        "/v1/events",
        json={
            "subject": "c",
            "purpose": "marketing",
            "separate_consent": True,
            "occurred_at": T0.isoformat(),
        },
    )
    none = client.post("/v1/gpc", json={"subject": "c"})
    assert none.json() == {
        "gpc": False,
        "recorded": False,
        "message": {
            "en": "No opt-out preference signal (Sec-GPC: 1) was received",
            "zh": "未收到退出偏好信号（Sec-GPC: 1）",
        },
    }
    honoured = client.post(
        "/v1/gpc", json={"subject": "c", "region": "US-CA"}, headers={"Sec-GPC": "1"}
    )
    body = honoured.json()
    assert (body["gpc"], body["recorded"], body["message"]["en"]) == (
        True,
        True,
        "Opt-Out Request Honored",
    )
    assert body["event"]["action"] == "gpc" and body["event"]["channel"] == "browser_signal"
    state = registry.status("c", "marketing")
    assert (state.valid, state.reason.value if state.reason else None) == (False, "gpc_opt_out")


def test_record_with_sec_gpc_header_marks_the_event(client: httpx.Client) -> None:
    r = client.post(
        "/v1/events", json={"subject": "c", "purpose": "marketing"}, headers={"Sec-GPC": "1"}
    )
    assert r.json()["event"]["gpc"] is True


def test_public_documents(server: Server) -> None:
    doc = httpx.get(f"{server.url}/openapi.json").json()
    from openapi_spec_validator import validate

    validate(doc)
    assert doc == json.loads(json.dumps(openapi_document()))
    assert httpx.get(f"{server.url}/.well-known/gpc.json").json() == {
        "gpc": True,
        "lastUpdate": "2026-03-01",
    }
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}


def test_every_route_is_documented(registry: ConsentRegistry) -> None:
    app = create_app(registry, tokens=[TOKEN])
    doc = openapi_document()
    routes = {(r.path, m.lower()) for r in app.routes for m in r.methods if m != "HEAD"}
    documented = {(p, m) for p, ops in doc["paths"].items() for m in ops}
    assert routes == documented


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token-000000000"}, {"Authorization": f"Basic {TOKEN}"}],
)
def test_bearer_token_required(server: Server, headers: dict[str, str]) -> None:
    r = httpx.post(f"{server.url}/v1/status", json={"subject": "c"}, headers=headers)
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert "token" in r.json()["error"]


def test_malformed_and_oversized_requests(client: httpx.Client) -> None:
    cases: list[tuple[httpx.Response, int, str]] = [
        (
            client.post(
                "/v1/events", content=b"{not json", headers={"Content-Type": "application/json"}
            ),
            400,
            "not valid JSON",
        ),
        (
            client.post("/v1/events", content=b"subject=x", headers={"Content-Type": "text/plain"}),
            415,
            "must be JSON",
        ),
        (client.post("/v1/events", json=[1, 2]), 422, "JSON object"),
        (
            client.post(
                "/v1/events", json={"subject": "c", "purpose": "marketing", "action": "maybe"}
            ),
            422,
            "valid request",
        ),
        (
            client.post("/v1/events", json={"subject": "c", "purpose": "nosuch"}),
            422,
            "unknown purpose",
        ),
        (
            client.post("/v1/events", json={"subject": "c", "purpose": "analytics", "extra": 1}),
            422,
            "valid request",
        ),
        (
            client.post(
                "/v1/events", content=b"x" * 5000, headers={"Content-Type": "application/json"}
            ),
            413,
            "larger than 4096",
        ),
        (client.get("/v1/nothing"), 404, "no such endpoint"),
        (client.get("/v1/events"), 405, "method not allowed"),
    ]
    for response, status, text in cases:
        assert response.status_code == status, (status, response.text)
        assert text in response.json()["error"]


def test_chunked_oversized_body_is_cut_off(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"subject": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    r = client.post("/v1/events", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_validation_errors_name_fields_not_values(client: httpx.Client) -> None:
    c = Canaries(seed=3)
    phone = c.cn_mobile()
    r = client.post(
        "/v1/events", json={"subject": phone, "purpose": "analytics", "minor_age": phone}
    )
    assert r.status_code == 422
    assert any("minor_age" in p for p in r.json()["problems"])
    c.assert_absent(r.text, names=["response"])


def test_no_identifiers_in_responses_or_logs(
    client: httpx.Client, registry: ConsentRegistry
) -> None:
    c = Canaries(seed=11)
    subject, guardian, email = c.cn_resident_id(), c.cn_mobile(), c.email()
    with capture_logs() as logs:
        bodies = [
            client.post(
                "/v1/events",
                json={
                    "subject": subject,
                    "purpose": "analytics",
                    "region": "CN",
                    "minor_age": 12,
                    "guardian": guardian,
                },
            ).text,
            client.post("/v1/status", json={"subject": subject}).text,
            client.post("/v1/history", json={"subject": subject}).text,
            client.post("/v1/gpc", json={"subject": email}, headers={"Sec-GPC": "1"}).text,
            client.post("/v1/events", json={"subject": email, "purpose": "nosuch"}).text,
            client.post("/v1/withdraw", json={"subject": subject}).text,
            client.post("/v1/erase", json={"subject": subject}).text,
            client.get("/v1/verify").text,
        ]
    c.assert_absent(
        *bodies, "\n".join(logs), names=[*(f"body {i}" for i in range(len(bodies))), "logs"]
    )


def test_tokens_are_checked_at_start(registry: ConsentRegistry) -> None:
    with pytest.raises(ConfigError, match="bearer token"):
        create_app(registry, tokens=[])
    with pytest.raises(ConfigError, match="16 characters"):
        create_app(registry, tokens=["short"])


def test_concurrent_http_writers_keep_one_chain(
    client: httpx.Client, registry: ConsentRegistry
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def post(i: int) -> int:
        r = client.post("/v1/events", json={"subject": f"s{i}", "purpose": "analytics"})
        return r.status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(post, range(80)))
    assert codes == [201] * 80
    report = registry.verify()
    assert report.ok and report.events == 80
