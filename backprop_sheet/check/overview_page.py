"""The class overview: every submission in a sortable table, the mistakes and scores as charts, similarity."""

from datetime import datetime
from html import escape
from pathlib import Path
from urllib.parse import quote

from backprop_sheet.check import parts as scoring
from backprop_sheet.check import stats, svg
from backprop_sheet.check.grade import FileResult
from backprop_sheet.check.page import STATUS, page
from backprop_sheet.check.parts import file_parts, total


def _overview_rows(results: list[FileResult], names: list[str]) -> str:
    rows = []
    for result, name in zip(results, names):
        parts = file_parts(result)
        score, _ = total(parts)
        first = result.root_causes[0] if result.root_causes else None
        status = STATUS.get(result.status, result.status)
        cls = "status-ok" if result.status == "ok" else "status-bad"
        cells = [(f'<td data-sort="{escape(Path(result.path).name)}"><a href="{quote(name)}">'
                 f"{escape(Path(result.path).name)}</a></td>"),
                 f'<td class="{cls}" data-sort="{escape(status.split(" ", 1)[1])}">{escape(status)}</td>',
                 f'<td class="num" data-sort="{score}">{score:g}</td>']
        cells += [f'<td class="num" data-sort="{p.score}">{p.score:g}</td>' for p in parts]
        cells.append(f'<td class="num" data-sort="{len(result.root_causes)}">{len(result.root_causes)}</td>')
        cells.append(f"<td>{escape(first.cell)} {escape(first.quantity)}: <code>{escape(first.diagnosis)}</code>"
                     "</td>" if first else f"<td>{escape(result.error or '')}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join(rows)


def _similar(similar) -> str:
    from backprop_sheet.check.similar import KINDS, NOTE
    lines = ["<h2>Similar submissions</h2>",
             (f'<p class="note">{escape(NOTE[0].upper() + NOTE[1:])}. {len(similar.compared)} submissions compared; '
             f"the pairs scoring {similar.threshold:g} or more (of 1) are shown.</p>")]
    if not similar.pairs:
        lines.append(f"<p>No pair scores {similar.threshold:g} or more.</p>")
    for group in similar.groups:
        lines.append("<p><b>Group:</b> " + escape(", ".join(Path(p).name for p in group)) + "</p>")
    for pair in similar.pairs:
        a, b = (escape(Path(p).name) for p in pair.files)
        rows = "".join(f'<tr><td title="{escape(KINDS[e.kind])}">{escape(e.kind)}</td><td class="num">{e.score:.2f}'
                       f'</td><td class="num">{e.shared}</td><td>{escape(e.rarity)}</td>'
                       f"<td>{escape('; '.join(e.examples))}</td></tr>" for e in pair.evidence if e.shared)
        lines.append(f'<div class="pair"><h3>{pair.score:.2f} · {a} and {b}</h3><table class="evidence"><thead>'
                     '<tr><th>evidence</th><th class="num">score</th><th class="num">shared</th><th>how rare</th>'
                     f"<th>for example</th></tr></thead><tbody>{rows}</tbody></table></div>")
    return "\n".join(lines)


def index(results: list[FileResult], names: list[str], similar=None) -> str:
    """The class overview."""
    s = stats.class_stats(results)
    when = datetime.now().strftime("%Y-%m-%d %H:%M")
    head = ('<th><button type="button">Submission</button></th>'
            '<th><button type="button">Status</button></th>'
            '<th class="num" data-type="number"><button type="button">Score</button></th>'
            + "".join(f'<th class="num" data-type="number"><button type="button">{escape(name)}</button></th>'
                      for name in scoring.names(results))
            + '<th class="num" data-type="number"><button type="button">Root causes</button></th>'
              '<th><button type="button">First root cause</button></th>')
    points = total(file_parts(results[0]))[1] if results else 100.0
    common = s.common or []
    mistakes_chart = (svg.bar_chart(common, "Submissions that make each mistake", "submission") if common
                      else "<p>No mistakes found.</p>")
    body = [(f"<h1>Class overview</h1><p class=\"meta\">{s.files} submission{'s' * (s.files != 1)} graded by "
            f"backprop-sheet check, {when}. Scores are out of {points:g} points.</p>"),
            '<div class="summary">'
            f"<div><b>{s.right}</b>right</div><div><b>{s.mistakes}</b>with mistakes</div>"
            f"<div><b>{s.not_graded}</b>not graded</div>"
            + (f"<div><b>{escape(common[0][0])}</b>most common mistake</div>" if common else "") + "</div>",
            "<h2>Submissions</h2><p class=\"meta\">Click a column's header to sort by it.</p>",
            f'<div class="scroll"><table class="sortable" id="overview"><thead><tr>{head}</tr></thead><tbody>',
            _overview_rows(results, names), "</tbody></table></div>",
            '<h2>Mistakes and scores</h2><div class="charts">',
            f"<figure><figcaption>Submissions that make each mistake</figcaption>{mistakes_chart}</figure>",
            ("<figure><figcaption>Distribution of scores</figcaption>"
            f"{svg.histogram(stats.histogram(s.scores), 'Distribution of scores')}</figure></div>")]
    if similar is not None:
        body.append(_similar(similar))
    return page("Class overview · backprop-sheet check", "\n".join(body), script=True)


