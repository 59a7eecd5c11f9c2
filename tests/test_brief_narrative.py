"""The optional LLM summary against a local OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from luckin_lab.brief.narrative import (
    ENV_KEY,
    ENV_URL,
    invented_numbers,
    narrative,
    numbers_in,
    template_text,
)

FACTS = ["Revenue yesterday was $4,147 from 785 orders, +2% against the 28-day baseline",
         "2 alerts need attention: 8th Ave (flagship), Store devices",
         "No report shows a profit gain that is statistically clear; Equipment maintenance asks for action"]
PAGE = " ".join(FACTS) + " Devices down 64% 7-day baseline 65%"
SECRET = "sk-test-0123456789"


class _Chat(BaseHTTPRequestHandler):
    reply = ""
    delay = 0.0
    status = 200
    seen: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append({"path": self.path, "auth": self.headers.get("Authorization"),
                                "body": body})
        time.sleep(type(self).delay)
        doc = {"choices": [{"message": {"role": "assistant", "content": type(self).reply}}]}
        data = json.dumps(doc).encode()
        try:
            self.send_response(type(self).status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(monkeypatch):
    _Chat.reply, _Chat.delay, _Chat.status, _Chat.seen = "", 0.0, 200, []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Chat)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(ENV_URL, f"http://127.0.0.1:{httpd.server_address[1]}/v1")
    monkeypatch.setenv(ENV_KEY, SECRET)
    yield _Chat
    httpd.shutdown()
    httpd.server_close()


def test_numbers_are_normalised_as_the_page_writes_them():
    assert numbers_in("$1,234.50 and 87 % and $5.1K") == {"1234.5", "87", "5.1"}
    assert invented_numbers("Revenue was $4,147 on 785 orders.", PAGE) == set()
    assert invented_numbers("Revenue was $4,150.", PAGE) == {"4150"}


def test_without_an_endpoint_the_template_writes_it(monkeypatch):
    monkeypatch.delenv(ENV_URL, raising=False)
    n = narrative(FACTS, PAGE)
    assert n.source == "template" and n.text == template_text(FACTS)
    assert n.text.count(". ") == 2 and n.text.endswith(".")


def test_an_honest_reply_is_used_and_the_prompt_holds_only_page_numbers(server):
    server.reply = ("Revenue was $4,147 from 785 orders, 2% above its baseline. Two alerts need "
                    "attention. No profit gain is clear yet.")
    n = narrative(FACTS, PAGE, timeout_s=5)
    assert n.source == "llm" and n.text == server.reply
    call = server.seen[0]
    assert call["path"] == "/v1/chat/completions"
    assert call["auth"] == f"Bearer {SECRET}"
    prompt = " ".join(m["content"] for m in call["body"]["messages"])
    assert invented_numbers(prompt, PAGE) == set()


def test_a_reply_with_an_invented_number_is_dropped(server):
    server.reply = "Revenue was $4,147, and profit rose by $12,500 thanks to the coupons."
    n = narrative(FACTS, PAGE, timeout_s=5)
    assert n.source == "template" and n.text == template_text(FACTS)
    assert "12500" in n.note and SECRET not in n.note


def test_a_slow_service_times_out_to_the_template(server):
    server.reply, server.delay = "Revenue was $4,147.", 2.0
    t0 = time.perf_counter()
    n = narrative(FACTS, PAGE, timeout_s=0.5)
    assert time.perf_counter() - t0 < 1.9
    assert n.source == "template" and ("0.5 s" in n.note or "timed out" in n.note)


def test_an_http_error_falls_back_without_leaking_the_key_or_url(server):
    server.status = 500
    n = narrative(FACTS, PAGE, timeout_s=5)
    assert n.source == "template" and n.note == "the summary service answered HTTP 500"
    assert SECRET not in n.text + n.note and "127.0.0.1" not in n.note
