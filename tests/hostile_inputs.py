"""One table of hostile JSONL inputs for every path that reads comment records, so that they cannot drift apart
again (issue 22): the single-process CLI (test_cli_faults), the CLI on Ray (test_distributed) and, for the
cases whose records a thread can carry, the server's /thread (test_cli_faults).

A case is either read (``error`` None: the output has every record, original fields untouched, and Ray's output
is byte-identical to the single process's) or refused with one line matching ``error`` (``ray_error`` where
Ray's reader can name only a byte offset, not a line). Errors sit on line 2: the first record is read before
Ray starts (the schema check), so a bad line 2 reaches Ray's readers and workers."""

from __future__ import annotations

import json
from dataclasses import dataclass

GOOD = b'{"comment_id": "g", "content": "\xe5\xa5\xbd\xe7\x9c\x8b"}\n'  # "好看"


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    error: str | None = None  # a regex of the single process's one-line error; None: read
    ray_error: str | None = "same"  # Ray's, where it differs ("same": as ``error``)
    args: tuple[str, ...] = ()

    @property
    def on_ray(self) -> str | None:
        return self.error if self.ray_error == "same" else self.ray_error


def line(record: dict) -> bytes:
    return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "surrogatepass")


CASES = [
    # read ---------------------------------------------------------------------------------------------------
    Case("utf8 bom", b"\xef\xbb\xbf" + GOOD),  # first: Ray's read of the cases together keeps it at byte 0
    Case("lone surrogate in another field (issue 22 §1)",
         b'{"comment_id": "c", "content": "hi", "nickname": "\\udc80"}\n'
         b'{"comment_id": "c2", "content": "\\ud83d \xe4\xbd\xa0\xe5\xa5\xbd", "tags": ["\\ude00"]}\n'),
    Case("unicode line separators (issue 22 §3)",
         line({"comment_id": "s", "content": "第一行\u2028第二行\u2029第三段\u0085完"})),
    Case("escaped nul and controls", b'{"comment_id": "n", "content": "a\\u0000b\\u001fc", "x": "\\u000b"}\n'),
    Case("numbers python would rewrite",
         b'{"comment_id": "num", "content": "ok", "big": 1e400, "zero": -0, "f": 1.50}\n'),
    Case("crlf and blank lines", b'{"comment_id": "r", "content": "so true"}\r\n\r\n   \n' + GOOD),
    Case("duplicate and cyclic ids", line({"comment_id": "d", "content": "哈哈", "parent_comment_id": "e"})
         + line({"comment_id": "e", "content": "lol", "parent_comment_id": "d"})
         + line({"comment_id": "d", "content": "again", "parent_comment_id": "d"})),
    Case("odd values", line({"comment_id": 7, "content": None, "like_count": [1, {"a": None}], "ok": True})
         + line({"comment_id": "o", "content": 12345, "nested": {"content": "不是这个"}})),
    # refused ------------------------------------------------------------------------------------------------
    Case("invalid json on line 2", GOOD + b'{"comment_id": "x", "content": "cut off\n',
         r"invalid JSON at line 2, column \d+: Unterminated string",
         r"a Ray worker failed: FormatError: a JSONL line is not valid JSON \(Unterminated string"),
    Case("an array on line 2", GOOD + b'["comment_id", "content"]\n', "line 2 holds a JSON list, not an object",
         "a JSONL line holds a JSON list, not an object"),
    Case("nested deeper than the limit", GOOD + b'{"comment_id": "deep", "content": "x", "v": ' + b"[" * 600
         + b"]" * 600 + b"}\n", r"at line 2, the value nests deeper than 500 levels",
         r"a JSONL line is not valid JSON \(the value nests deeper than 500 levels"),
    Case("a line longer than --max-record-size", GOOD + b'{"content": "' + b"x" * (2 << 20) + b'"}\n',
         r"line 2 is longer than 1 MiB, the most one record may take \(--max-record-size\)",
         r"the line at byte \d+ is longer than 1 MiB, the most one record may take \(--max-record-size\)",
         args=("--max-record-size", "1")),
    Case("gbk text on line 2", GOOD + '{"comment_id": "gbk", "content": "这家店真好"}\n'.encode("gbk"),
         r"not UTF-8 text \(invalid (start|continuation) byte at line 2, byte \d+\); .*GBK \(GB18030\) or Big5"),
    Case("utf-16 with a bom (issue 22 §11)", ("\ufeff" + GOOD.decode()).encode("utf-16-le"), None,
         r"it is UTF-16 text, and --ray reads UTF-8 JSONL; convert it"),
]

READ = [case for case in CASES if case.error is None and case.on_ray is None]
