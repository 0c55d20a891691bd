"""The quick reader gives what the email package gives, or steps aside.

Every message here is read twice by :func:`parse_message`, through
:mod:`services.integrations.mail.mime_fast` and through the ``email`` package alone, and
the two :class:`Parsed` results must be equal: over CPython's own corpus of odd and
broken mail, over generated business mail in its common shapes, and over thousands of
random mutations of both (bytes dropped, doubled, changed; line ends broken).
"""

from __future__ import annotations

import base64
import email
import quopri
import random
from pathlib import Path

import pytest

from services.integrations.mail import mime_fast, parsing

CPYTHON_CORPUS = Path(email.__file__).resolve().parent.parent / "test" / "test_email" / "data"


def both_ways(raw: bytes) -> tuple[parsing.Parsed, parsing.Parsed]:
    fast = parsing.parse_message(raw, keep_attachment_bytes=2000)
    parsing.FAST = False
    try:
        slow = parsing.parse_message(raw, keep_attachment_bytes=2000)
    finally:
        parsing.FAST = True
    return fast, slow


HEAD = (
    "From: Anna Petrova <anna@client.test>\r\nTo: sales@osprey.test, "
    '"Boris" <boris@osprey.test>\r\nCc: c@client.test\r\nSubject: Quote {i}\r\n'
    "Date: Mon, 07 Dec 2026 10:0{d}:00 +0300\r\nMessage-ID: <m{i}@client.test>\r\n"
    "MIME-Version: 1.0\r\n"
)


def generated() -> list[bytes]:
    """Business mail in the shapes mail programs write it."""
    out: list[bytes] = []
    text = "Добрый день! Price: 12 950 €, delivery next week.\r\nRegards,\r\nAnna\r\n"
    html = "<p>Добрый <b>день</b></p>\r\n<p>Price: 12&nbsp;950&nbsp;€</p>\r\n"
    pdf = bytes(range(256)) * 20
    for i in range(12):
        head = HEAD.format(i=i, d=i % 10)
        if i % 2:
            head += "In-Reply-To: <root@osprey.test>\r\nReferences: <root@osprey.test>\r\n"
        if i % 3 == 0:
            head = head.replace("Subject: Quote", "Subject:\r\n\tQuote folded")
        out.append((head + "\r\n" + "plain ascii body\r\n").encode())
        out.append(
            (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n").encode()
            + text.encode("utf-8")
        )
        out.append(
            (
                head + 'Content-Type: text/plain; charset="windows-1251"\r\n'
                "Content-Transfer-Encoding: 8bit\r\n\r\n"
            ).encode()
            + text.replace("€", "EUR").encode("cp1251")
        )
        out.append(
            (
                head + "Content-Type: text/html; charset=UTF-8\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            ).encode()
            + quopri.encodestring(html.encode("utf-8"))
        )
        out.append(
            (
                head + "Content-Type: text/plain;\r\n\tcharset=utf-8\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n"
            ).encode()
            + base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")
        )
        boundary = f"=_b{i}" if i % 2 else f"b{i}"
        attachment = base64.encodebytes(pdf).replace(b"\n", b"\r\n").decode()
        out.append(
            (
                head + f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
                "This is a multi-part message in MIME format.\r\n"
                f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                f"Content-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n"
                f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
                f"--{boundary}--\r\n"
            ).encode("utf-8")
        )
        out.append(
            (
                head + f"Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n"
                f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
                f'--{boundary}\r\nContent-Type: application/pdf; name="offer {i}.pdf"\r\n'
                f'Content-Disposition: attachment; filename="offer {i}.pdf"\r\n'
                f"Content-Transfer-Encoding: base64\r\n\r\n{attachment}\r\n"
                f"--{boundary}\r\nContent-Type: text/csv\r\n"
                f"Content-Disposition: inline; filename=lines.csv\r\n\r\na;b\r\n1;2\r\n"
                f"--{boundary}--\r\nepilogue\r\n"
            ).encode("utf-8")
        )
    return out


def cpython_corpus() -> list[bytes]:
    paths = sorted(CPYTHON_CORPUS.glob("msg_*.txt"))
    assert paths, f"CPython's email test data is missing from {CPYTHON_CORPUS}"
    out = []
    for path in paths:
        data = path.read_bytes()
        out.append(data)
        out.append(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    return out


def mutations(raw: bytes, rand: random.Random, count: int) -> list[bytes]:
    out = []
    for _ in range(count):
        data = bytearray(raw)
        for _edit in range(rand.randint(1, 3)):
            at = rand.randrange(len(data) + 1)
            kind = rand.randrange(6)
            if kind == 0 and data:
                del data[at : at + rand.randint(1, 8)]
            elif kind == 1:
                data[at:at] = data[at : at + rand.randint(1, 40)]
            elif kind == 2:
                data[at:at] = rand.choice([b"\r\n", b"\n", b"\r", b"--", b";", b'"', b"\r\n\r\n"])
            elif kind == 3 and data:
                data[min(at, len(data) - 1)] = rand.randrange(256)
            elif kind == 4:
                data[at:at] = rand.choice([b" ", b"\t", b"=", b"*", b"<", b"\x0c", b"\xe9"])
            else:
                data = data.replace(b"\r\n", b"\n", 1)
        out.append(bytes(data))
    return out


def test_plain_mail_takes_the_quick_path() -> None:
    messages = generated()
    taken = [raw for raw in messages if mime_fast.read(raw) is not None]
    # every shape generated above is one the quick reader reads (none is odd)
    assert len(taken) == len(messages)


@pytest.mark.parametrize("source", ["generated", "cpython"])
def test_the_quick_reader_agrees_with_the_email_package(source: str) -> None:
    messages = generated() if source == "generated" else cpython_corpus()
    for raw in messages:
        fast, slow = both_ways(raw)
        assert fast == slow, raw[:300]


def test_mutated_mail_reads_the_same_both_ways() -> None:
    rand = random.Random(20261207)
    quick = 0
    for raw in [*generated(), *cpython_corpus()[::3]]:
        for mutated in mutations(raw, rand, 25):
            fast, slow = both_ways(mutated)
            assert fast == slow, mutated[:400]
            quick += mime_fast.read(mutated) is not None
    assert quick > 500  # many mutants stay plain mail, so the quick path is exercised


def test_odd_mail_is_left_to_the_email_package() -> None:
    head = b"From: a@b.test\r\nSubject: x\r\n"
    odd = [
        b"From a@b Mon Dec  7 10:00:00 2026\r\n" + head + b"\r\nmbox line\r\n",
        head + b"Subject: Caf\xe9\r\n\r\n8-bit header\r\n",
        head + b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n\r\nopen\r\n",
        head + b"Content-Type: multipart/mixed\r\n\r\nno boundary\r\n",
        head + b"Content-Type: message/rfc822\r\n\r\n" + head + b"\r\ninner\r\n",
        head + b"Content-Type: text/plain; name*=utf-8''%D0%B0.txt\r\n\r\nrfc 2231\r\n",
        head + b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64***\r\n",
        head + b"Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n",
        head + b"No colon here\r\n\r\nbody\r\n",
        b"\r\njust a body\r\n",
    ]
    for raw in odd:
        assert mime_fast.read(raw) is None, raw
        fast, slow = both_ways(raw)
        assert fast == slow
