"""The README's verdict sample, read back: its rows (gate: the status as the console writes it) and its verdict
line. Written by scripts/readme_sample.py from a real run; checked by test_readme_sample.py (its own consistency)
and test_main_job.py (today's run still reads the same)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
ROW = re.compile(r"^([✓✗!·]) (PASS|FAIL|WARN|INCONCLUSIVE|NOT RUN)\s+(\S+)")
# what moves with the host's speed on a healthy box, and is said as it moves: the ramp's headroom can end as a
# lower bound (optional on the box), the throughput and capacity figures only warn there
VARIES = {
    "load.headroom": {"✓ PASS", "· INCONCLUSIVE"},
    "load.throughput": {"✓ PASS", "! WARN"},
    "load.capacity": {"✓ PASS", "! WARN"},
}


def block() -> list[str]:
    """The whole verdict of the sample run: the <details> block's lines."""
    text = README.read_text()
    sample = text[text.index("<!-- verdict-sample:begin -->") : text.index("<!-- verdict-sample:end -->")]
    full = sample[sample.index("<details>") :]
    return full[full.index("```text\n") + 8 : full.index("\n```", full.index("```text"))].splitlines()


def rows(lines: list[str]) -> dict[str, str]:
    """{gate id: "✓ PASS"} from console lines."""
    found = {}
    for line in lines:
        match = ROW.match(line)
        if match:
            found[match.group(3)] = f"{match.group(1)} {match.group(2)}"
    return found


def console_status(gate: dict) -> str:
    """A gate report's gate as the console's line starts."""
    status, blocks = gate["status"], gate.get("blocks")
    if status == "pass":
        return "✓ PASS"
    if status == "warn":
        return "! WARN"
    word = {"fail": "FAIL", "inconclusive": "INCONCLUSIVE", "not_run": "NOT RUN"}[status]
    return f"{'✗' if blocks else '·'} {word}"


def differences(sample: dict[str, str], today: dict[str, str]) -> list[str]:
    """What today's run says otherwise than the sample, beyond what moves with the host."""
    out = [f"{g}: only in the sample" for g in sample if g not in today]
    out += [f"{g}: not in the sample" for g in today if g not in sample]
    for gate, said in sample.items():
        now = today.get(gate)
        if now is not None and now != said and not {now, said} <= VARIES.get(gate, set()):
            out.append(f"{gate}: sample {said}, today {now}")
    return out
