#!/usr/bin/env python3
"""An example waggle agent: an HTTP server, Python standard library only.

waggle POSTs each turn of a conversation here, signed with Standard Webhooks headers. This agent checks
the signature, thinks for a while, then streams its answer as NDJSON: the reply word by word
({"type": "delta"} lines, shown live to web-chat users), then the actions ({"type": "actions"}).
"weather in Paris" makes it ask for the `weather` tool; the tool's result comes back as a later turn,
which it answers. When waggle closes the connection (a newer message superseded the turn, or the turn
timed out) it stops working on that turn.

    WAGGLE_AGENT_SECRET=whsec_... python3 agent.py --port 8090 --think 2
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import select
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Standard Webhooks: a request older or newer than this is refused (replay protection).
TOLERANCE_SECONDS = 5 * 60
MAX_BODY_BYTES = 1024 * 1024
WEATHER = re.compile(r"\bweather\s+(?:in|for|at)\s+([^?!.,;]+)", re.IGNORECASE)


class ClientGone(Exception):
    """waggle closed the connection: the turn was superseded or timed out."""


def log(text):
    print(text, flush=True)


def signature_problem(secret, headers, body):
    """Why the request's Standard Webhooks signature does not hold, or None when it does."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        return "missing webhook-id, webhook-timestamp or webhook-signature"
    if not timestamp.isdigit():
        return "webhook-timestamp is not Unix seconds"
    if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return "webhook-timestamp is too far from now"
    key = base64.b64decode(secret[len("whsec_"):])
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for entry in signatures.split(" "):
        version, _, value = entry.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return None
    return "no v1 signature matches"


def decide(turn):
    """The reply text and the tool calls for a turn (its inputs are in sequence order)."""
    said, lines, tools = [], [], []
    for item in turn["inputs"]:
        if item["kind"] == "message":
            asked = WEATHER.search(item["text"])
            if asked:
                place = asked.group(1).strip()
                lines.append(f"Let me look up the weather in {place}.")
                tools.append({"kind": "tool", "tool": "weather", "arguments": {"place": place}})
            else:
                said.append(item["text"])
        elif item["kind"] == "tool-result":
            lines.append(describe_result(item["tool"], item["result"]))
        elif item["kind"] == "tool-failure":
            lines.append(f"I could not use {item['tool']}: {item['reason']}")
    if said:
        lines.insert(0, "You said " + " and ".join(f'"{text}"' for text in said) + ".")
    return " ".join(lines), tools


def describe_result(tool, result):
    if tool == "weather" and isinstance(result, dict) and "conditions" in result:
        return (
            f"In {result.get('place')} it is {result['conditions']}, "
            f"{result.get('temperatureC')} °C."
        )
    return f"{tool} answered: {json.dumps(result)}"


def gone_within(sock, seconds):
    """Waits `seconds`; True as soon as the client closes the connection."""
    deadline = time.monotonic() + seconds
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        readable, _, _ = select.select([sock], [], [], remaining)
        if not readable:
            return False
        try:
            if sock.recv(1, socket.MSG_PEEK) == b"":
                return True
        except OSError:
            return True
        # Bytes from the client while we answer: not a close; wait out the time.
        time.sleep(remaining)
        return False


class TurnHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and chunked answers for streaming
    server_version = "waggle-example-agent/1"

    def log_message(self, format, *args):  # noqa: A002 - the base class names it so
        pass  # this agent logs its own lines on stdout

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY_BYTES:
            return self.answer_json(413, {"error": "turn too large"}, close=True)
        body = self.rfile.read(length)
        problem = signature_problem(self.server.secret, self.headers, body)
        if problem:
            log(f"refused a request: {problem}")
            return self.answer_json(401, {"error": problem})
        try:
            turn = json.loads(body)
        except ValueError:
            return self.answer_json(400, {"error": "the body is not JSON"})
        turn_id = turn["turnId"]
        text, tools = decide(turn)
        actions = ([{"kind": "reply", "text": text}] if text else []) + tools
        log(f"turn {turn_id}: {len(turn['inputs'])} input(s), thinking {self.server.think}s")
        try:
            if gone_within(self.connection, self.server.think):
                raise ClientGone()
            if self.server.stream and "application/x-ndjson" in self.headers.get("accept", ""):
                self.stream_answer(turn_id, text, actions)
            else:
                self.answer_json(200, {"actions": actions})
            log(f"turn {turn_id}: answered with {len(actions)} action(s)")
        except (ClientGone, BrokenPipeError, ConnectionResetError):
            log(f"turn {turn_id}: the client went away; stopped working on it")
            self.close_connection = True

    def stream_answer(self, turn_id, text, actions):
        self.send_response(200)
        self.send_header("content-type", "application/x-ndjson")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        log(f"turn {turn_id}: streaming")
        words = text.split(" ") if text else []
        for i, word in enumerate(words):
            self.send_line({"type": "delta", "text": word if i == len(words) - 1 else word + " "})
            if gone_within(self.connection, self.server.word_delay):
                raise ClientGone()
        self.send_line({"type": "actions", "actions": actions})
        self.wfile.write(b"0\r\n\r\n")

    def send_line(self, value):
        data = json.dumps(value).encode() + b"\n"
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def answer_json(self, status, value, close=False):
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        if close:
            self.send_header("connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)


def main():
    parser = argparse.ArgumentParser(description="An example waggle agent (HTTP, NDJSON streaming).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090, help="0 picks a free port")
    parser.add_argument("--think", type=float, default=float(os.environ.get("AGENT_THINK_SECONDS", "2")),
                        help="seconds to think before answering (default 2)")
    parser.add_argument("--word-delay", type=float, default=float(os.environ.get("AGENT_WORD_DELAY", "0.15")),
                        help="seconds between streamed words (default 0.15)")
    parser.add_argument("--no-stream", action="store_true", help="answer application/json instead of NDJSON")
    args = parser.parse_args()
    secret = os.environ.get("WAGGLE_AGENT_SECRET", "")
    if not secret.startswith("whsec_"):
        sys.exit("set WAGGLE_AGENT_SECRET to the whsec_ secret waggle signs turns with")

    server = ThreadingHTTPServer((args.host, args.port), TurnHandler)
    server.daemon_threads = True
    server.secret = secret
    server.think = args.think
    server.word_delay = args.word_delay
    server.stream = not args.no_stream
    host, port = server.server_address[:2]
    log(f"listening on http://{host}:{port}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
