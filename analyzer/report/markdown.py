"""incident_report.md: the incident report as Markdown, for the postmortem document.

Called by `write_reports`. The same content as the HTML report (`ReportContent`), as GitHub
flavoured Markdown; the charts are PNG files beside it (`incident_report-<chart>.png`,
rendered by kaleido with the system Chromium) or left out with a note when that is not
possible. Nothing here depends on the clock: the same database gives the same bytes.
"""

from __future__ import annotations

import re
from pathlib import Path

from analyzer.report.content import Change, ReportContent, Table
from analyzer.report.figures import CAPTIONS, FigureSet, write_pngs
from analyzer.report.files import write_text

MD_NAME = "incident_report.md"
_LONE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_AUTOLINK = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://|(?i:www)\.|@(?=[A-Za-z0-9_-]+\.[A-Za-z0-9])")
PNG_STEM = "incident_report"


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell: pipes escaped, line breaks and markup defused, and
    nothing a renderer would turn into a link (GFM autolinks bare URLs, www. and e-mail addresses)."""
    out = text.replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    for ch in ("*", "`", "<", "[", "]", "~", "$"):  # ">" quotes only at a line start, where a cell never is
        out = out.replace(ch, "\\" + ch)
    out = _AUTOLINK.sub(lambda m: m.group(0).replace("://", ":\\/\\/").replace("www.", "www\\.").replace("@", "\\@"), out)
    # an underscore inside a word (credit_card_repayment) is literal in GFM; only escape the others
    return _LONE_UNDERSCORE.sub(r"\\_", out)


def prose(text: str) -> str:
    """Text safe as a Markdown paragraph (markup characters escaped)."""
    return cell(text)


def table(t: Table) -> list[str]:
    lines = []
    if t.rows:
        lines.append("| " + " | ".join(cell(c) for c in t.columns) + " |")
        lines.append("|" + "|".join("---:" if n else "---" for n in t.numeric) + "|")
        lines.extend("| " + " | ".join(cell(v) for v in row) + " |" for row in t.rows)
    if t.note:
        lines.extend(["", f"_{prose(t.note)}_"])
    if not t.rows and not t.note:
        lines.append("_none_")
    return lines + [""]


def change(c: Change, label: str) -> list[str]:
    return [
        f"### {label}: {cell(c.change_id)} ({cell(c.action)})",
        "",
        f"- **campaign:** {cell(c.campaign_id)} ({cell(c.prev_version or 'no previous version')} → {cell(c.version)})",
        f"- **live at:** {cell(c.at)}",
        f"- **who:** {cell(c.actor)}",
        f"- **approver:** {cell(c.approver)}" + (" ⚠" if c.approver == "none" else ""),
        f"- **ticket:** {cell(c.ticket)}",
        f"- **before:** {cell(c.before)}",
        f"- **after:** {cell(c.after)}",
        "",
        *table(c.diff),
        *([f"Evidence: {prose(c.evidence)}", ""] if c.evidence else []),
    ]


def postmortem_pages(pm) -> list[str]:
    """The team's post-mortem first: its fields (escaped), what changed since its last refresh,
    then its Markdown as the team wrote it (markers and comments stripped)."""
    from analyzer.report.postmortem import meta_rows

    lines = [f"# Post-mortem: {prose(pm.title)}", "", "| | |", "|---|---|"]
    lines += [f"| {cell(k)} | {cell(v)} |" for k, v in meta_rows(pm)]
    lines.append("")
    if pm.changes:
        lines += ["> **Figures refreshed from the analysis:** "
                  + "; ".join(f"{cell(key)} {cell(old)} → {cell(new)}" for key, old, new in pm.changed)
                  + ". Check the sentences that quote them.", ""]
    lines += [pm.body.strip(), "", "---", ""]
    return lines


def render_markdown(content: ReportContent, pngs: dict[str, Path], notes: tuple[str, ...]) -> str:
    c = content
    lines = postmortem_pages(c.postmortem) if c.postmortem is not None else []
    lines += [f"# {prose(c.title)}", "", f"_{prose(c.subtitle)}_", ""]
    for alert in c.alerts:
        lines += [f"> **{prose(alert)}**", ""]
    lines += [f"> {prose(c.masking_note)}", ""]

    def chart(name: str) -> list[str]:
        if name in pngs:
            return [f"![{cell(CAPTIONS[name])}]({pngs[name].name})", ""]
        return []

    lines += ["## What happened", ""]
    for sentence in c.story:
        lines += [prose(sentence), ""]
    lines += ["## Key figures", "", *table(c.key_figures)]
    lines += ["## The bad change", "", *change(c.bad_change, "Bad change")]
    if c.fix_change:
        lines += change(c.fix_change, "Fix change")
    else:
        lines += ["**No later change restores the intended behaviour: the bad period is still open in the data.**", ""]
    lines += ["## Timeline", "", *chart("timeline"), "### Milestones", "", *table(c.milestones), prose(c.milestones_note),
              "", "### What happened, in order", "", *table(c.timeline)]
    lines += ["## Customer follow-up", "", prose(c.followup_note), "", *chart("scam_reports"), *table(c.followup),
              "### Reported domains", "", *table(c.scam_domains), "### Reported phrases", "", *table(c.scam_phrases),
              "### Remediation lists", "", *table(c.remediation), "### Official messages", "", *table(c.messages)]
    lines += ["## Breakdowns", "", "### By scene", "", *chart("scenes"), *table(c.scenes),
              "### By payee", "", *chart("merchants"), *table(c.merchants)]
    lines += ["## Top affected users and exploiters", "", "### Top affected users", "", *table(c.top_users),
              "### Exploiters", "", prose(c.exploiters_note), "", *table(c.exploiters)]
    lines += ["## Guardrails: what would have stopped it", "", prose(c.guardrails_note), "", *table(c.guardrails)]
    lines += [*(f"- {prose(n)}" for n in c.guardrails_notes), *([""] if c.guardrails_notes else [])]
    lines += ["## Reviewer notes", "", *table(c.reviewer_notes)]
    lines += ["## Data quality", "", "### Rows per input file", "", *table(c.files),
              "### Quarantined rows by reason", "", *table(c.rejects), "### Checks", "", *table(c.checks)]
    for note in c.quality_notes:
        lines += [f"- {prose(note)}"]
    lines += ["", "## Reproducibility", "", "### Inputs", "", *table(c.inputs), "### Parameters", "", *table(c.parameters)]
    for note in notes:
        lines += [f"> Note: {prose(note)}", ""]
    lines += [f"_{prose(c.footer)}_", ""]
    return "\n".join(lines)


def write_markdown(content: ReportContent, figset: FigureSet, out_dir: Path) -> tuple[list[Path], tuple[str, ...]]:
    """Write the PNG charts (when possible) and incident_report.md; (files written, notes)."""
    pngs, notes = write_pngs(figset, Path(out_dir), PNG_STEM)
    md = write_text(Path(out_dir) / MD_NAME, render_markdown(content, pngs, notes))
    return [*pngs.values(), md], notes
