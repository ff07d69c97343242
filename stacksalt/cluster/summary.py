"""Summaries of ``state.highstate`` returns (pure): per node states, changes, failures."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class NodeSummary:
    node: str
    states: int = 0
    changed: int = 0
    failed: int = 0
    duration_ms: float = 0.0
    failures: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed and not self.error


def summarize(node: str, ret) -> NodeSummary:
    """Summarize one minion's highstate return (dict of state results, or a list of errors
    when rendering failed, or a string when the minion did not answer)."""
    out = NodeSummary(node)
    if isinstance(ret, list):
        out.error = "; ".join(str(x) for x in ret)
        return out
    if not isinstance(ret, dict):
        out.error = str(ret)
        return out
    for key, result in sorted(
        ret.items(), key=lambda kv: kv[1].get("__run_num__", 0) if isinstance(kv[1], dict) else 0
    ):
        if not isinstance(result, dict):
            out.error = f"{key}: {result}"
            continue
        out.states += 1
        out.duration_ms += float(result.get("duration") or 0)
        ident = result.get("__id__") or key.split("_|-")[1]
        if result.get("result") is False:
            out.failed += 1
            out.failures.append(f"{ident}: {result.get('comment', '')}".strip())
        if result.get("changes"):
            out.changed += 1
            out.changes.append(ident)
    return out


def format_table(rows: list[NodeSummary]) -> str:
    lines = [f"{'node':<28} {'states':>6} {'changed':>7} {'failed':>6} {'time':>8}"]
    for row in rows:
        lines.append(
            f"{row.node:<28} {row.states:>6} {row.changed:>7} {row.failed:>6} "
            f"{row.duration_ms / 1000:>7.1f}s"
        )
        for failure in row.failures:
            lines.append(f"    FAILED {failure}")
        if row.error:
            lines.append(f"    ERROR {row.error}")
    return "\n".join(lines)
