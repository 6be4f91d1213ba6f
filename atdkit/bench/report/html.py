"""HTML rendering: a :class:`~.tables.Table` as an HTML table, and the self-contained page."""

from __future__ import annotations

import html

from atdkit.bench.report.tables import Table
from atdkit.bench.scoring import PSNR_CAP


def table_html(table: Table) -> str:
    if not table.rows and table.empty:
        return f"<p>{html.escape(table.empty)}</p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.header)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in table.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def chart_html(png_b64: str) -> str:
    return f"<img src='data:image/png;base64,{png_b64}'>"


def page(title: str, body: str, meta: dict) -> str:
    style = ("body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;margin:1em 0;"
             "font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}th{background:#eee}"
             "td:first-child,td:nth-child(2){text-align:left}.gallery{display:flex;flex-wrap:wrap;gap:6px}"
             "figure{margin:0}figcaption{font-size:12px;text-align:center}.note{color:#555}"
             ".suspect{color:#a00;font-weight:bold}.prov{background:#f4f4f4;padding:6px;font-size:13px}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<p>dataset root <code>{html.escape(str(meta['root']))}</code>, evaluation size "
            f"{html.escape(str(meta.get('size') or 'native'))}. Intervals: percentile bootstrap 95% of the mean. "
            f"PSNR +inf counts as {PSNR_CAP:g} dB in means.</p>{body}</body></html>\n")
