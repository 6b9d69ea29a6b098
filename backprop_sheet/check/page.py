"""The shell every page of `check --html` shares: one stylesheet, the sorting script, no network access."""

from html import escape

GENERATOR = '<meta name="generator" content="backprop-sheet check">'  # how a page of ours is told from others
STATUS = {"ok": "✓ right", "mistakes": "✗ mistakes", "unreadable": "⚠ unreadable",
          "needs recalculation": "⚠ needs recalculation", "no table": "— no table found"}

CSS = r"""
:root { --ink: #1b1b1b; --muted: #555; --rule: #c8c8c8; --cause: #f6c6c6; --off: #fbe7b5; --ok: #1d6b35;
        --bad: #9b1c1c; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 0 auto; padding: 24px 32px 48px; max-width: 1180px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 28px 0 8px; padding-bottom: 3px; border-bottom: 2px solid var(--ink); }
h3 { font-size: 16px; margin: 0 0 6px; }
p { margin: 6px 0; }
.meta { color: var(--muted); }
nav { margin-bottom: 14px; font-size: 14px; }
a { color: #174ea6; }
code { font: 13px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
table { border-collapse: collapse; }
th, td { padding: 5px 9px; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
th { border-bottom: 2px solid var(--ink); white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
th button { font: inherit; font-weight: 600; color: inherit; background: none; border: 0; padding: 0;
            cursor: pointer; }
th button::after { content: "\00a0↕"; color: var(--muted); font-weight: 400; }
th[aria-sort="ascending"] button::after { content: "\00a0▲"; color: var(--ink); }
th[aria-sort="descending"] button::after { content: "\00a0▼"; color: var(--ink); }
.status-ok { color: var(--ok); font-weight: 600; white-space: nowrap; }
.status-bad { color: var(--bad); font-weight: 600; white-space: nowrap; }
#overview { font-size: 14px; width: 100%; }
#overview th, #overview td { padding: 5px 7px; }
#overview th { white-space: normal; vertical-align: bottom; }
#overview td:last-child { min-width: 16em; }
table.evidence { font-size: 13px; width: 100%; }
table.evidence td:last-child { word-break: break-word; }
.summary { display: flex; gap: 12px; flex-wrap: wrap; margin: 14px 0 4px; }
.summary div { border: 1px solid var(--rule); border-radius: 6px; padding: 8px 14px; min-width: 130px; }
.summary b { display: block; font-size: 24px; }
.charts { display: flex; gap: 40px; flex-wrap: wrap; align-items: flex-start; }
.charts figure { margin: 0; }
figcaption { font-weight: 600; margin-bottom: 6px; }
.cause { border: 1px solid var(--rule); border-left: 5px solid var(--bad); border-radius: 4px;
         padding: 12px 16px; margin: 14px 0; break-inside: avoid; }
.formulas { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 10px 0; }
.formulas dt { font-weight: 600; }
.formulas dd { margin: 0; }
.scroll { overflow-x: auto; }
table.excerpt { margin-top: 8px; font-size: 13px; }
table.excerpt th, table.excerpt td { border: 1px solid var(--rule); padding: 3px 7px; }
table.excerpt td { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.excerpt th.row { text-align: right; color: var(--muted); font-weight: 400; }
table.excerpt .letter { color: var(--muted); font-weight: 400; text-align: center; }
td.mark-cause { background: var(--cause); font-weight: 700; outline: 2px solid var(--bad); outline-offset: -2px; }
td.mark-off { background: var(--off); outline: 2px dashed var(--ink); outline-offset: -2px; }
.legend { font-size: 13px; color: var(--muted); }
.legend span { padding: 1px 6px; margin-right: 4px; }
.key-cause { background: var(--cause); outline: 2px solid var(--bad); }
.key-off { background: var(--off); outline: 2px dashed var(--ink); }
.pair { border: 1px solid var(--rule); border-radius: 4px; padding: 10px 16px; margin: 10px 0;
        break-inside: avoid; }
.note { border-left: 4px solid var(--muted); padding: 4px 12px; background: #f4f4f4; }
ul { margin: 4px 0; padding-left: 22px; }
@media print {
  body { padding: 0; max-width: none; font-size: 11pt; }
  nav, th button::after { display: none; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; }
  tr, .summary div, figure { break-inside: avoid; }
  .scroll { overflow: visible; }
  @page { margin: 14mm; }
}
"""

# Sorting the overview's columns: click a header (a button, so the keyboard reaches it too).
SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th) {
    var button = th.querySelector("button");
    if (!button) return;
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var index = th.cellIndex, numeric = th.dataset.type === "number";
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      function key(row) {
        var cell = row.cells[index];
        var text = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
        return numeric ? parseFloat(text) : text.toLowerCase();
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        var order = numeric ? x - y : x.localeCompare(y, undefined, {numeric: true});
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""

POLICY = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
          "base-uri 'none'; form-action 'none'")


def page(title: str, body: str, script: bool = False) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{POLICY}\">\n{GENERATOR}\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n"
            + (f"<script>{SCRIPT}</script>\n" if script else "") + "</body>\n</html>\n")


