"""The class at a glance: OUT/report.html, written beside grades.csv after every grading run.

One self-contained page (no scripts, no files beside it, an inline SVG chart) that an instructor opens
first: the score distribution, each autograded part's pass rate with the hardest parts first, the
statuses with the students behind each (timeouts, flags, repairs), and the slowest notebooks.
"""

from __future__ import annotations

import html
import statistics
import time
from collections import defaultdict
from pathlib import Path

from .report import Row

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #1a1a1a; line-height: 1.4; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border-bottom: 1px solid #ccc; padding: 0.25rem 0.75rem; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.bar { background: #0072b2; height: 0.8rem; display: inline-block; }
.muted { color: #555; }
"""


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _bins(max_score: float) -> list[tuple[float, float]]:
    """Histogram bins [low, high): one per whole score 0..max_score up to 20 points (the last holds full marks
    only), else ten equal bins, the last one closed at max_score."""
    if max_score <= 20 and float(max_score).is_integer():
        return [(float(k), k + 1.0) for k in range(int(max_score) + 1)]
    width = max_score / 10
    return [(k * width, (k + 1) * width) for k in range(10)]


def histogram_svg(scores: list[float], max_score: float, width: int = 640, height: int = 220) -> str:
    """An inline SVG bar chart of how many students got each score (the top bin includes full marks)."""
    bins = _bins(max_score)
    counts = [0] * len(bins)
    for s in scores:
        k = next((i for i, (lo, hi) in enumerate(bins) if lo <= s < hi), len(bins) - 1)
        counts[k] += 1
    left, bottom, top = 40, 30, 20
    plot_w, plot_h = width - left - 10, height - bottom - top
    step = plot_w / len(bins)
    peak = max(counts + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="hist-title">',
        f'<title id="hist-title">Score distribution: {len(scores)} students, scores 0 to {max_score:g}</title>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#333"/>',
    ]
    for k, ((lo, hi), n) in enumerate(zip(bins, counts)):
        h = plot_h * n / peak
        x = left + k * step
        label = f"{lo:g}" if hi - lo == 1 else f"{lo:.3g}-{hi:.3g}"
        parts.append(
            f'<rect class="bin" x="{x + 2:.1f}" y="{top + plot_h - h:.1f}" width="{step - 4:.1f}" height="{h:.1f}" '
            f'fill="#0072b2" data-count="{n}"><title>{n} student(s) scored {label}</title></rect>'
        )
        if n:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{top + plot_h - h - 4:.1f}" font-size="11" '
                f'text-anchor="middle">{n}</text>'
            )
        parts.append(
            f'<text x="{x + step / 2:.1f}" y="{top + plot_h + 14:.1f}" font-size="11" text-anchor="middle">'
            f"{_esc(label)}</text>"
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 2}" font-size="12" text-anchor="middle">'
        "autograded points</text></svg>"
    )
    return "\n".join(parts)


def part_rates(rows: list[Row], part_points: dict[str, float]) -> list[dict]:
    """Per autograded part: its points, how many were graded on it, full marks, mean; hardest (lowest rate) first."""
    out = []
    for order, (part, points) in enumerate(part_points.items()):
        earned = [r.parts[part] for r in rows if part in r.parts]
        full = sum(1 for e in earned if e >= points)
        rate = full / len(earned) if earned else 0.0
        mean = statistics.fmean(earned) if earned else 0.0
        out.append({"part": part, "points": points, "graded": len(earned), "full": full, "rate": rate,
                    "mean": mean, "order": order})  # fmt: skip
    return sorted(out, key=lambda p: (p["rate"], p["mean"] / (p["points"] or 1), p["order"]))


def write_report(
    path: Path,
    assignment: str,
    rows: list[Row],
    part_points: dict[str, float],
    durations: dict[str, float],
    manual_points: float = 0.0,
    slowest: int = 10,
) -> Path:
    """Write the class report to `path` and return it.

    Parameters
    ----------
    path, assignment
        The HTML file to write and the assignment's name.
    rows
        Every student's result, as in grades.csv.
    part_points
        {autograded part (test cell grade id): its points}, in notebook order.
    durations
        {student: seconds their notebook took to grade}; students missing here were not executed.
    manual_points
        Points of the written answers, graded by hand (only mentioned).
    slowest
        How many of the slowest notebooks to list.
    """
    max_score = rows[0].max_score if rows else sum(part_points.values())
    scores = [r.score for r in rows]
    graded = [r for r in rows if r.parts]
    by_status: dict[str, list[str]] = defaultdict(list)
    for r in sorted(rows, key=lambda r: r.student):
        by_status[r.status].append(r.student)
    status_of = {r.student: r for r in rows}

    body = [
        f"<h1>{_esc(assignment)}: the class at a glance</h1>",
        f'<p class="muted">{len(rows)} submission(s), {len(graded)} graded by the tests. Written '
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Scores count autograded points out of "
        f"{max_score:g}"
        + (
            f"; the written answers ({manual_points:g} point{'' if manual_points == 1 else 's'}) are graded by hand."
            if manual_points
            else "."
        )
        + "</p>",
        "<h2>Scores</h2>",
    ]
    if scores:
        body.append(
            "<table><tr>"
            + "".join(f'<th class="num">{h}</th>' for h in ("mean", "median", "lowest", "highest", "full marks"))
            + "</tr><tr>"
            + "".join(
                f'<td class="num">{v}</td>'
                for v in (
                    f"{statistics.fmean(scores):.2f}",
                    f"{statistics.median(scores):g}",
                    f"{min(scores):g}",
                    f"{max(scores):g}",
                    sum(1 for s in scores if s >= max_score),
                )
            )
            + "</tr></table>"
        )
        body.append(histogram_svg(scores, max_score))

    body.append("<h2>Parts, hardest first</h2>")
    body.append(
        '<table id="parts"><tr><th>part</th><th class="num">points</th><th class="num">graded</th>'
        '<th class="num">full marks</th><th>pass rate</th><th class="num">mean points</th></tr>'
    )
    for p in part_rates(rows, part_points):
        body.append(
            f'<tr><td>{_esc(p["part"])}</td><td class="num">{p["points"]:g}</td><td class="num">{p["graded"]}</td>'
            f'<td class="num">{p["full"]}</td><td><span class="bar" style="width:{100 * p["rate"]:.0f}px"></span> '
            f'{100 * p["rate"]:.0f}%</td><td class="num">{p["mean"]:.2f}</td></tr>'
        )
    body.append("</table>")

    body.append("<h2>Statuses</h2>")
    body.append('<table id="statuses"><tr><th>status</th><th class="num">students</th><th>who</th></tr>')
    for status, names in sorted(by_status.items(), key=lambda kv: (kv[0] == "ok", kv[0])):
        body.append(
            f'<tr><td>{_esc(status)}</td><td class="num">{len(names)}</td>'
            f"<td>{_esc(', '.join(names)) if status != 'ok' else '<span class=muted>(not listed)</span>'}</td></tr>"
        )
    body.append("</table>")

    body.append(f"<h2>Slowest notebooks (of {len(durations)} executed)</h2>")
    body.append(
        '<table id="slowest"><tr><th>student</th><th class="num">seconds</th><th>status</th>'
        '<th class="num">score</th></tr>'
    )
    for student, took in sorted(durations.items(), key=lambda kv: (-kv[1], kv[0]))[:slowest]:
        row = status_of.get(student)
        body.append(
            f'<tr><td>{_esc(student)}</td><td class="num">{took:.1f}</td>'
            f"<td>{_esc(row.status if row else '')}</td>"
            f'<td class="num">{(f"{row.score:g}" if row else "")}</td></tr>'
        )
    body.append("</table>")

    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_esc(assignment)}: class report</title><style>{STYLE}</style></head>"
        "<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
    path.write_text(page, encoding="utf-8")
    return path
