"""A step's failure by its cause, short enough for a table cell: `OutOfMemoryError, exit 137`.

The record keeps ECS's whole story in `message` (task, stoppedReason, each container's exit
code and reason: worker/aws/stability.py); a table cut at a width would show the task id and
lose the cause. Pure: text in, text out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# worker/aws/stability.py's `container NAME exit code N: Reason: detail` (the reason optional)
_EXIT = re.compile(r"exit code (?P<code>-?\d+)(?::\s*(?P<why>[A-Za-z][\w.-]*))?")
_STOPPED = re.compile(r"stopped: (?P<why>[^(;]+)")
MAX_CAUSE = 80


def cause(record: Mapping[str, Any]) -> str | None:
    """`reason: cause` for a step that did not succeed, else None."""
    if record.get("status") == "succeeded":
        return None
    reason = str(record.get("reason") or record.get("status") or "")
    message = str(record.get("message") or "")
    why = message_cause(message)
    text = f"{reason}: {why}" if why else reason
    return text if len(text) <= MAX_CAUSE else text[:MAX_CAUSE - 3] + "..."


def message_cause(message: str) -> str:
    """The cause inside a failure message: the container's exit reason and code, ECS's
    stoppedReason, or the message's first clause."""
    exits = list(_EXIT.finditer(message))
    if exits:
        first = exits[0]
        code = f"exit {first['code']}"
        return f"{first['why']}, {code}" if first["why"] else _stopped(message, code)
    stopped = _STOPPED.search(message)
    if stopped:
        return stopped["why"].strip()
    return message.split("; ", maxsplit=1)[0].strip()


def _stopped(message: str, code: str) -> str:
    stopped = _STOPPED.search(message)
    return f"{stopped['why'].strip()}, {code}" if stopped else code
