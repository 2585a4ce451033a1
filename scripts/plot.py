#!/usr/bin/env python3
"""Draws the benchmark pictures of docs/BENCHMARKS.md from `imsdk-bench ... --json FILE` output.

    python3 scripts/plot.py RESULTS.json [OUT_DIR]      (OUT_DIR: docs/img)

One SVG per latency curve (latency against offered rate) and per timeline (the stall test: latency of
the pausing and the other subscribers over time). Python's standard library only: nothing to install.
Every number drawn comes from the JSON file.
"""
import json
import math
import sys
from pathlib import Path

W, H = 760, 420
LEFT, RIGHT, TOP, BOTTOM = 70, 190, 40, 60
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#7f7f7f"]


def nice_ticks(lo, hi, n=6):
    """Round tick values covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    ticks, t = [first], first
    while t < hi - step * 1e-9:
        t += step
        ticks.append(round(t, 10))
    return ticks


def fmt(v):
    if abs(v) >= 1000:
        return f"{v / 1000:g}k"
    return f"{v:g}"


def esc(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chart(title, xlabel, ylabel, series, hlines=(), vlines=(), ymax=None):
    """series: [(label, [(x, y)], dashed)]; hlines/vlines: [(value, label)]."""
    xs = [x for _, pts, _ in series for x, _ in pts] + [v for v, _ in vlines]
    ys = [y for _, pts, _ in series for _, y in pts] + [v for v, _ in hlines]
    if not xs or not ys:
        return None
    xt = nice_ticks(min(0, min(xs)), max(xs))
    top = max(ys) if ymax is None else min(max(ys), ymax)
    yt = nice_ticks(0, top)
    x0, x1, y0, y1 = xt[0], xt[-1], yt[0], yt[-1]
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def px(x):
        return LEFT + (x - x0) / (x1 - x0) * pw

    def py(y):
        return TOP + ph - (min(y, y1) - y0) / (y1 - y0) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="14">{esc(title)}</text>']
    for t in yt:
        out.append(f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{LEFT - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{fmt(t)}</text>')
    for t in xt:
        out.append(f'<line x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{TOP}" y2="{TOP + ph}" stroke="#f0f0f0"/>')
        out.append(f'<text x="{px(t):.1f}" y="{TOP + ph + 16}" text-anchor="middle">{fmt(t)}</text>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>')
    out.append(f'<text x="{LEFT + pw / 2}" y="{H - 18}" text-anchor="middle">{esc(xlabel)}</text>')
    out.append(f'<text transform="translate(18 {TOP + ph / 2}) rotate(-90)" text-anchor="middle">{esc(ylabel)}</text>')
    for v, label in hlines:
        out.append(f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{py(v):.1f}" y2="{py(v):.1f}" stroke="#888" stroke-dasharray="6 4"/>')
        out.append(f'<text x="{LEFT + pw - 4}" y="{py(v) - 5:.1f}" text-anchor="end" fill="#555">{esc(label)}</text>')
    for v, label in vlines:
        out.append(f'<line x1="{px(v):.1f}" x2="{px(v):.1f}" y1="{TOP}" y2="{TOP + ph}" stroke="#888" stroke-dasharray="2 3"/>')
        out.append(f'<text x="{px(v) + 4:.1f}" y="{TOP + 14}" fill="#555">{esc(label)}</text>')
    for i, (label, pts, dashed) in enumerate(series):
        color = COLORS[i % len(COLORS)]
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
        if len(pts) <= 20:
            for x, y in pts:
                out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{color}"/>')
        ly = TOP + 10 + 18 * i
        out.append(f'<line x1="{LEFT + pw + 12}" x2="{LEFT + pw + 36}" y1="{ly}" y2="{ly}" stroke="{color}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{LEFT + pw + 42}" y="{ly + 4}">{esc(label)}</text>')
    if ymax is not None and max(ys) > ymax:
        out.append(f'<text x="{LEFT + 4}" y="{TOP + 14}" fill="#555">clipped at {fmt(ymax)} ms</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def curve(c):
    pts = c["points"]
    x = [p["offered_notifications_per_s"] for p in pts]
    series = [
        ("p50", list(zip(x, [p["p50_ms"] for p in pts])), False),
        ("p99", list(zip(x, [p["p99_ms"] for p in pts])), False),
        ("max", list(zip(x, [p["max_ms"] for p in pts])), True),
    ]
    # The baseline broadcast server at the same rates: what the machine and the load generator
    # allow a server that only relays.
    base = c.get("baseline_points") or []
    if base:
        bx = [p["offered_notifications_per_s"] for p in base]
        series.append(("baseline p99", list(zip(bx, [p["p99_ms"] for p in base])), True))
    vlines = []
    ref = c.get("reference") or {}
    if ref.get("baseline_max_per_s"):
        vlines.append((0.8 * ref["baseline_max_per_s"], "80% of baseline max"))
    lost = sum(p["lost"] for p in pts)
    title = f'{c["name"]} — {lost} lost'
    return chart(title, "offered notifications per second", "latency (ms)", series,
                 hlines=[(20, "20 ms target")], vlines=vlines, ymax=200)


def timeline(t):
    b = t["buckets"]
    xs = [x["t_s"] for x in b]
    series = [
        ("others p99", list(zip(xs, [x["others"]["p99_ms"] for x in b])), False),
        ("others max", list(zip(xs, [x["others"]["max_ms"] for x in b])), True),
    ]
    if any(x["paused"]["count"] for x in b):
        series.append(("pausing p99", list(zip(xs, [x["paused"]["p99_ms"] for x in b])), False))
    title = (f'{t["paused_sessions"]} subscribers stop reading {t["pause_ms"]} ms every '
             f'{t["every_ms"] / 1000:g} s — {t["closed_sessions"]} cut, {t["stale"]} stale')
    return chart(title, f'time (s), {t["bucket_ms"]} ms buckets by arrival', "latency (ms)",
                 series, hlines=[(20, "20 ms target")], ymax=1000)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    results = json.loads(Path(sys.argv[1]).read_text())
    out_dir = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/img")
    out_dir.mkdir(parents=True, exist_ok=True)
    drawn = []
    for c in results.get("curves", []):
        drawn.append((f"curve-{c['id']}.svg", curve(c)))
    for t in results.get("timelines", []):
        drawn.append((f"timeline-{t['id']}.svg", timeline(t)))
    for name, svg in drawn:
        if svg:
            (out_dir / name).write_text(svg)
            print(f"wrote {out_dir / name}")


if __name__ == "__main__":
    main()
