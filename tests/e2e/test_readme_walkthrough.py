"""The README's local-stack walkthrough, run word for word against a started stack.

Every fenced ``sh`` block that follows a ``<!-- walkthrough -->`` comment in README.md is extracted,
in the order the README gives them, and run as one bash script (``set -e -o pipefail``, so the first
command that fails fails the test, named by bash's trace), from the repository's root, as a reader
would type them into one terminal while ``make local`` runs in another.

Only two things are changed, and only in the ways a reader would change them:
- ``.venv/bin/`` becomes the directory of the Python running the tests (the venv ``make`` built);
- the stack listens on the README's ports (webhooks 8080, agent API 8081, sandbox 8082, AWS 4566)
  when they are all free. When one is taken (another stack, another service), it runs on free ports
  and the walkthrough's ``127.0.0.1:<README port>`` addresses are replaced by the stack's, and
  ``socialcare customer`` is given ``--port``, ``--reply-port`` and ``--aws-port``: the flags the
  README tells a reader to give a stack on other ports.

Then the walkthrough's end state must hold: the customer it played has one case, holding both their
messages, claimed by Alice, and her reply reached the platform sandbox's WhatsApp API and was accepted.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from socialcare_local.emulator.inspect_table import TableReader
from socialcare_local.sandbox.customers import customer_id_for
from socialcare_local.stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
MARK = "<!-- walkthrough -->"
BLOCK = re.compile(re.escape(MARK) + r"\s*\n```(?:sh|bash)\n(?P<body>.*?)\n```", re.DOTALL)
README_PORTS = {"port": 8080, "api_port": 8081, "reply_port": 8082, "aws_port": 4566}
SCRIPT_TIMEOUT_S = 180


def walkthrough_blocks(text: str) -> list[str]:
    """The shell blocks README.md marks for the walkthrough, in order."""
    return [match["body"] for match in BLOCK.finditer(text)]


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    ports = README_PORTS if all(_port_free(port) for port in README_PORTS.values()) else dict.fromkeys(README_PORTS, 0)
    with LocalStack(host="127.0.0.1", **ports) as running:
        yield running


def literal_script(blocks: list[str], stack: LocalStack, venv_bin: Path) -> str:
    """The blocks as one bash script: ``.venv/bin`` resolved, and the ports only where the README's are taken."""
    script = "\n".join(blocks).replace(".venv/bin/", f"{venv_bin}/")
    assert stack.reply_api is not None
    actual = {
        8080: _port_of(stack.webhook_base_url),
        8081: _port_of(stack.api_base_url),
        8082: _port_of(stack.reply_api.base_url),
        4566: _port_of(stack.aws_endpoint_url),
    }
    if any(readme != port for readme, port in actual.items()):
        for readme, port in actual.items():
            script = re.sub(rf"\b(127\.0\.0\.1|localhost):{readme}\b", rf"\g<1>:{port}", script)
        flags = f"--port {actual[8080]} --reply-port {actual[8082]} --aws-port {actual[4566]}"
        script = script.replace("socialcare customer ", f"socialcare customer {flags} ")
    return "set -e -o pipefail\nset -x\n" + script + "\n"


def test_the_readme_marks_the_walkthrough_blocks() -> None:
    blocks = walkthrough_blocks(README.read_text(encoding="utf-8"))
    text = "\n".join(blocks)
    assert len(blocks) >= 4
    assert "socialcare customer --channel whatsapp" in text
    assert "/replies" in text
    for forbidden in ("uuidgen", "1767225600000", "$(socialcare", " socialcare token"):
        assert forbidden not in text, forbidden


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("openssl") is None, reason="needs curl and openssl")
def test_the_walkthrough_runs_word_for_word(stack: LocalStack) -> None:
    blocks = walkthrough_blocks(README.read_text(encoding="utf-8"))
    script = literal_script(blocks, stack, Path(sys.executable).parent)

    completed = subprocess.run(
        ["bash", "-c", script],
        cwd=REPO,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_S,
        check=False,
    )

    assert completed.returncode == 0, (
        f"stdout:\n{completed.stdout}\nstderr (the failing command last):\n{completed.stderr}"
    )
    assert '"events": 1' in completed.stdout  # the signed Messenger message of the webhooks example
    assert "signature_missing" in completed.stdout

    # The end state: one case for the customer played, both messages in it, Alice's reply delivered.
    name = re.search(r'--channel whatsapp --name "([^"]+)"', script)
    assert name is not None
    customer = customer_id_for("whatsapp", name[1])
    account = stack.config.accounts.whatsapp_phone_number_id
    assert account is not None
    stack.wait_until_idle()
    cases = TableReader(stack.client("dynamodb"), stack.resources.table_name).customer_cases(account, [customer])
    assert len(cases) == 1, [case.item for case in cases]
    case = cases[0]
    assert len(case.entries("inbound")) == 2
    assert case.item.get("owner") == "alice"
    assert case.case_id in completed.stdout
    assert stack.reply_api is not None
    replies = [call for call in stack.reply_api.calls(endpoint="whatsapp") if call.recipient == customer]
    assert len(replies) == 1
    assert replies[0].accepted
    assert [e.get("delivery_state") for e in case.entries("outbound")] in (["sent"], ["delivered"], ["read"])
