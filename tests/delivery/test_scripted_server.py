"""A raw SMTP server whose every reply is scripted, for what aiosmtpd never does: a DATA taken
after a refused recipient, a 2xx to RCPT TO after a refused MAIL FROM. Loopback only."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from digest.delivery.smtp import SmtpPool
from digest.delivery.transport import SendResult

Answer = Callable[[str], str | None]  # a command's reply; None: no reply at all


class ScriptedServer:
    def __init__(self, answer: Answer, dot_answer: str | None = "250 2.0.0 Ok") -> None:
        self.answer, self.dot_answer = answer, dot_answer
        self.accepted = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 scripted ESMTP\r\n")
        in_data = False
        try:
            while line := await reader.readline():
                text = line.decode().rstrip("\r\n")
                if in_data:
                    if text == ".":
                        in_data = False
                        if self.dot_answer is not None:
                            self.accepted += self.dot_answer.startswith("250")
                            writer.write(self.dot_answer.encode() + b"\r\n")
                    continue
                command = text.upper()
                if command.startswith("EHLO"):
                    writer.write(b"250-scripted\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
                elif command.startswith("QUIT"):
                    writer.write(b"221 bye\r\n")
                    break
                elif (reply := self.answer(command)) is not None:
                    in_data = command.startswith("DATA") and reply.startswith("354")
                    writer.write(reply.encode() + b"\r\n")
                await writer.drain()
        finally:
            writer.close()


def _send(server: ScriptedServer, recipient: str) -> SendResult:
    async def go() -> SendResult:
        listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        port = listening.sockets[0].getsockname()[1]
        pool = SmtpPool(host="127.0.0.1", port=port, security="none", size=1, timeout=0.5)
        try:
            await pool.open()
            return await pool.send("digest@example.org", recipient, b"Subject: hi\r\n\r\nHi.\r\n")
        finally:
            await pool.close()
            listening.close()

    return asyncio.run(go())


def _replies(mail: str, rcpt: str, data: str) -> Answer:
    def answer(command: str) -> str:
        for verb, reply in (("MAIL", mail), ("RCPT", rcpt), ("DATA", data)):
            if command.startswith(verb):
                return reply
        return "250 2.0.0 Ok"

    return answer


def test_a_refusal_stands_when_the_empty_data_after_it_is_not_answered() -> None:
    # A server that takes DATA after refusing the recipient, then says nothing to the empty
    # data's final dot: the 550 is the reader's answer (before: lost, the reader deferred
    # "before data" and asked again).
    server = ScriptedServer(_replies("250 Ok", "550 5.1.1 No such user", "354 Go"), None)
    result = _send(server, "gone@example.org")
    assert result.outcome == "failed" and "550 5.1.1" in result.reply, result


def test_a_server_out_of_step_at_mail_from_on_every_session_counts_nobody() -> None:
    # A 451 to MAIL FROM and yet a 250 to the RCPT TO behind it, on every session: replies
    # out of step, the server's state, nobody counted (before: the reader counted, pass after
    # pass, until it failed at max_attempts).
    server = ScriptedServer(_replies("451 4.3.0 Try later", "250 Ok", "503 5.5.1 No MAIL"))
    result = _send(server, "reader@example.org")
    assert result.server_unavailable and "out of step" in result.reply, result
    assert server.accepted == 0
