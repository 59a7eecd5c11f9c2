"""The brief's short summary (what to do today first): a template, or an LLM held to the page's own numbers.

With ``LUCKIN_LAB_LLM_URL`` set (an OpenAI-compatible chat API, e.g. the company's Dify;
key in ``LUCKIN_LAB_LLM_KEY``, model in ``LUCKIN_LAB_LLM_MODEL``), the model is sent only the
figures already on the page. Every number in its reply must be one of them, else the reply
is dropped and the template's text is used. A failure (timeout, HTTP error, bad reply) falls
back the same way; the reason is kept, never the URL or the key.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass

ENV_URL, ENV_KEY, ENV_MODEL = "LUCKIN_LAB_LLM_URL", "LUCKIN_LAB_LLM_KEY", "LUCKIN_LAB_LLM_MODEL"
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
SYSTEM = (
    "You write a short morning summary for a coffee chain's executives: first what to do today, "
    "then what is not acted on and why, then the alerts. Use only the facts given; state no number "
    "that is not in them; no advice beyond the decisions listed."
)


@dataclass(frozen=True)
class Narrative:
    text: str
    source: str  # "template" | "llm"
    note: str = ""  # why the LLM text was not used (no secrets)


def numbers_in(text: str) -> set[str]:
    """The numbers a text states, normalised ('$1,234.50' -> '1234.5'; '87 %' -> '87')."""
    out = set()
    for m in _NUMBER.findall(text):
        v = m.replace(",", "")
        out.add(v.rstrip("0").rstrip(".") if "." in v else v)
    return out


def invented_numbers(reply: str, page_text: str) -> set[str]:
    """Numbers in ``reply`` that the page does not show."""
    return numbers_in(reply) - numbers_in(page_text)


def template_text(facts: list[str]) -> str:
    """The deterministic summary: every fact, one sentence each (the decision comes first)."""
    return " ".join(f.rstrip(".") + "." for f in facts)


def _endpoint(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


def ask_llm(facts: list[str], url: str, key: str | None, model: str, timeout_s: float) -> str:
    """One chat completion; raises on any transport or protocol problem."""
    body = {
        "model": model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "Facts:\n- " + "\n- ".join(facts)
             + "\nWrite at most four sentences, the decision first."},
        ],
    }
    req = urllib.request.Request(_endpoint(url), data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    with urllib.request.urlopen(req, timeout=timeout_s) as resp:  # noqa: S310 - configured URL
        doc = json.loads(resp.read().decode())
    return str(doc["choices"][0]["message"]["content"]).strip()


def narrative(facts: list[str], page_text: str, timeout_s: float = 10.0) -> Narrative:
    """The LLM's summary when configured and honest, else the template's."""
    fallback = template_text(facts)
    url = os.environ.get(ENV_URL, "").strip()
    if not url:
        return Narrative(fallback, "template")
    try:
        reply = ask_llm(facts, url, os.environ.get(ENV_KEY), os.environ.get(ENV_MODEL, "default"),
                        timeout_s)
    except TimeoutError:
        return Narrative(fallback, "template", f"the summary service did not answer in {timeout_s:g} s")
    except urllib.error.HTTPError as err:
        return Narrative(fallback, "template", f"the summary service answered HTTP {err.code}")
    except (urllib.error.URLError, OSError) as err:
        reason = "timed out" if "timed out" in str(getattr(err, "reason", err)) else "was unreachable"
        return Narrative(fallback, "template", f"the summary service {reason}")
    except (KeyError, IndexError, TypeError, ValueError):
        return Narrative(fallback, "template", "the summary service sent an unreadable reply")
    invented = invented_numbers(reply, page_text)
    if invented:
        return Narrative(fallback, "template",
                         f"the service's text stated numbers not on the page ({', '.join(sorted(invented))})")
    if not reply:
        return Narrative(fallback, "template", "the summary service sent an empty reply")
    return Narrative(reply, "llm")
