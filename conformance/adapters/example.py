"""An example adapter: the reference behind the JSON-lines protocol, as a separate process.

    plugref conformance --target "python -m conformance.adapters.example"

It shows the whole protocol end to end: an implementation in another language would read the same
requests on stdin and write the same responses on stdout.
"""
from __future__ import annotations

import json
import sys

from .reference import ReferenceAdapter


def serve(stdin=sys.stdin, stdout=sys.stdout) -> int:
    adapter = ReferenceAdapter()
    for line in stdin:
        request = json.loads(line)
        if request["cmd"] == "hello":
            response = adapter.describe()
        elif request["cmd"] == "run":
            try:
                response = {"seq": request["seq"], **adapter.run(request["case"])}
            except Exception as exc:  # a bug in the implementation must not kill the conversation
                response = {"seq": request["seq"], "errored": {"message": f"{type(exc).__name__}: {exc}"}}
        elif request["cmd"] == "stop":
            return 0
        else:
            response = {"error": f"unknown command {request['cmd']!r}"}
        stdout.write(json.dumps(response) + "\n")
        stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(serve())
