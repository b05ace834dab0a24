import PDFDocument from 'pdfkit';
import { SCALES } from '../../domain/assessments/scales.js';
import type { FrameworkId } from '../../domain/frameworks/index.js';
import type { ComplianceReport } from './compliance-report.js';

const MARGIN = 50;
const GREY = '#666666';
const RESULT_LABEL: Record<string, string> = {
  compliant: 'Compliant',
  partially_compliant: 'Partially compliant',
  non_compliant: 'Non-compliant',
  not_applicable: 'Not applicable',
  not_assessed: 'Not assessed',
};
const day = (time: string): string => time.slice(0, 10);
const figure = (value: number | null): string => (value === null ? 'no score' : String(value));
const percent = (value: number): string => `${Math.round(value * 1000) / 10}%`;

/**
 * Renders a compliance report as an A4 PDF: readable headings, a score chart, a requirements table that flows over
 * as many pages as it needs (its header repeated), and "page n of m" on every page. Everything printed comes from
 * the report's JSON, so the two always agree.
 */
export function complianceReportPdf(report: ComplianceReport): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    info: { Title: `Compliance report: ${report.client.name}, ${report.framework.name}`, Creator: 'Compliance Ledger' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const width = doc.page.width - 2 * MARGIN;
  const heading = (text: string) =>
    doc.moveDown(1).font('Helvetica-Bold').fontSize(13).fillColor('black').text(text, MARGIN).moveDown(0.3);
  const line = (text: string, options: { color?: string; size?: number; bold?: boolean } = {}) =>
    doc
      .font(options.bold ? 'Helvetica-Bold' : 'Helvetica')
      .fontSize(options.size ?? 10)
      .fillColor(options.color ?? 'black')
      .text(text, MARGIN, undefined, { width });

  // Title and what the report is of.
  doc.font('Helvetica-Bold').fontSize(20).text('Compliance report');
  doc.moveDown(0.3);
  line(`Client: ${report.client.name} (${report.client.industry})`, { size: 11 });
  line(`Framework: ${report.framework.name}, catalog version ${report.framework.catalogVersion ?? 'n/a'}`, {
    size: 11,
  });
  line(`As of: ${report.asOf}${report.position ? ` (log position ${report.position})` : ''}`, { size: 11 });
  line(`Generated: ${report.generatedAt}`, { color: GREY, size: 9 });

  heading('Score and progress');
  const a = report.assessment;
  if (!a) {
    line('No assessment of this framework had been started at this moment.');
  } else {
    line(
      `Assessment: ${a.title} (${a.status.replace('_', ' ')}${a.submittedAt ? `, submitted ${day(a.submittedAt)}` : ''})`,
    );
    line(`Score: ${figure(a.score)}`, { bold: true, size: 14 });
    line(`Progress: ${percent(a.progress)} (${a.assessed} of ${a.assessable} assessable requirements)`);
    line(
      `Coverage: ${percent(a.coverage.ratio)} (${a.coverage.answered} of ${a.coverage.total} requirements answered)`,
    );
    for (const warning of a.warnings) line(`Warning: ${warning.message}`, { color: '#a33' });
    if (a.submittedScore !== null && a.submittedScore !== a.score)
      line(`Score at submission: ${a.submittedScore}`, { color: GREY });
    if (a.flagged.length > 0)
      line(
        `Compliant but with no evidence in force (expired or retired), counted as partially compliant: ${a.flagged.join(', ')}`,
        {
          color: '#a33',
        },
      );
    if (a.basis === 'as-submitted')
      line('This catalog version is not shipped here: the score is the one recorded at submission.', { color: GREY });
  }

  heading('Score over time');
  drawChart(doc, report);

  heading('Requirements');
  if (report.requirements.length === 0) line('No requirement has been assessed.');
  else drawRequirements(doc, report);

  heading('Policies in force');
  if (report.policies.length === 0) line('No published policy.');
  for (const p of report.policies)
    line(
      `${p.title}: published version ${p.publishedVersion}${p.currentVersion !== p.publishedVersion ? ` (draft version ${p.currentVersion} in progress)` : ''}`,
    );

  heading(`Violations in the ${report.violations.windowDays} days before`);
  line(`Total: ${report.violations.total}`, { bold: true });
  line(`Open: ${report.violations.open}, resolved: ${report.violations.resolved}`);
  line(
    `By severity: ${Object.entries(report.violations.bySeverity)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ')}`,
  );
  const kinds = Object.entries(report.violations.byKind);
  if (kinds.length > 0) line(`By kind: ${kinds.map(([k, n]) => `${k} ${n}`).join(', ')}`);

  heading('Audit trail integrity');
  const v = report.verification;
  line(
    v.ok
      ? `Hash chain verified: ${v.eventsChecked} events, no broken link.`
      : `Hash chain BROKEN after ${v.eventsChecked} events: ${JSON.stringify(v.firstBreak)}`,
    { bold: !v.ok, color: v.ok ? 'black' : '#a33' },
  );
  line(`Verified at ${v.verifiedAt}`, { color: GREY, size: 9 });

  // Page numbers, once the number of pages is known.
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // The footer sits in the bottom margin: without this, pdfkit would start a new page for it.
    doc.page.margins.bottom = 0;
    doc.font('Helvetica').fontSize(8).fillColor(GREY);
    doc.text(
      `${report.client.name} · ${report.framework.name} · as of ${day(report.asOf)} · page ${i + 1} of ${range.count}`,
      MARGIN,
      doc.page.height - MARGIN + 15,
      { width, align: 'center', lineBreak: false },
    );
  }
  doc.end();
  return done;
}

function drawChart(doc: PDFKit.PDFDocument, report: ComplianceReport): void {
  const scale = SCALES[report.framework.frameworkId as FrameworkId] ?? { min: 0, max: 100 };
  const points = report.scoreHistory
    .filter((p) => p.score !== null)
    .map((p) => ({ at: Date.parse(p.submittedAt), score: p.score!, label: day(p.submittedAt) }));
  if (report.assessment?.score !== null && report.assessment?.score !== undefined)
    points.push({ at: Date.parse(report.asOf), score: report.assessment.score, label: 'as of' });
  if (points.length === 0) {
    doc.font('Helvetica').fontSize(10).fillColor('black').text('No scored assessment yet.', MARGIN);
    return;
  }
  const height = 140;
  if (doc.y + height + 40 > doc.page.height - MARGIN) doc.addPage();
  const left = MARGIN + 30;
  const top = doc.y + 5;
  const width = doc.page.width - 2 * MARGIN - 40;
  const first = points[0]!.at;
  const span = Math.max(1, points[points.length - 1]!.at - first);
  const x = (at: number) => (points.length === 1 ? left + width / 2 : left + ((at - first) / span) * width);
  const y = (score: number) => top + height - ((score - scale.min) / (scale.max - scale.min)) * height;
  // Axes and gridlines at the quarters of the scale.
  doc.lineWidth(0.5).strokeColor('#cccccc');
  for (let q = 0; q <= 4; q++) {
    const value = scale.min + ((scale.max - scale.min) * q) / 4;
    doc
      .moveTo(left, y(value))
      .lineTo(left + width, y(value))
      .stroke();
    doc
      .font('Helvetica')
      .fontSize(7)
      .fillColor(GREY)
      .text(String(value), MARGIN, y(value) - 3, { width: 25, align: 'right', lineBreak: false });
  }
  doc.lineWidth(1.5).strokeColor('#1f5fa8');
  points.forEach((p, i) => (i === 0 ? doc.moveTo(x(p.at), y(p.score)) : doc.lineTo(x(p.at), y(p.score))));
  if (points.length > 1) doc.stroke();
  let lastLabel = Infinity;
  for (const p of [...points].reverse()) {
    doc.circle(x(p.at), y(p.score), 2.5).fillColor('#1f5fa8').fill();
    // Labels that would overlap the one to their right are left out; the newest always shows.
    if (lastLabel !== Infinity && lastLabel - x(p.at) < 60) continue;
    doc
      .font('Helvetica')
      .fontSize(7)
      .fillColor(GREY)
      .text(p.label, x(p.at) - 30, top + height + 4, { width: 60, align: 'center', lineBreak: false });
    lastLabel = x(p.at);
  }
  doc.fillColor('black').strokeColor('black').lineWidth(1);
  doc.y = top + height + 20;
  doc.x = MARGIN;
}

/** The requirements table: citation, result, score and evidence freshness; continues on new pages with its header. */
function drawRequirements(doc: PDFKit.PDFDocument, report: ComplianceReport): void {
  const columns = [
    { title: 'Requirement', width: 190 },
    { title: 'Result', width: 95 },
    { title: 'Score', width: 40 },
    { title: 'Evidence (freshness as of this report)', width: doc.page.width - 2 * MARGIN - 325 },
  ];
  const header = () => {
    let x = MARGIN;
    doc.font('Helvetica-Bold').fontSize(8.5).fillColor('black');
    const top = doc.y;
    for (const column of columns) {
      doc.text(column.title, x, top, { width: column.width - 6 });
      x += column.width;
    }
    doc
      .moveTo(MARGIN, doc.y + 2)
      .lineTo(doc.page.width - MARGIN, doc.y + 2)
      .lineWidth(0.5)
      .strokeColor('#999999')
      .stroke();
    doc.y += 5;
  };
  header();
  for (const r of report.requirements) {
    const cells = [
      // The official citation first; our id beside it where the two differ (HIPAA's activities share a citation).
      `${r.citation}${r.citation !== r.requirementId ? ` (${r.requirementId})` : ''}${r.title ? `  ${r.title}` : ''}`,
      `${RESULT_LABEL[r.result] ?? r.result}${r.flagged ? (r.evidence.every((e) => e.freshness === 'retired') ? ' (evidence retired)' : ' (expired evidence)') : ''}`,
      r.score === null ? '' : String(r.score),
      r.evidence.map((e) => `${e.title}: ${e.freshness}, expires ${day(e.expiresAt)}`).join('\n') || 'none linked',
    ];
    doc.font('Helvetica').fontSize(8.5);
    const rowHeight = Math.max(...cells.map((text, i) => doc.heightOfString(text, { width: columns[i]!.width - 6 })));
    if (doc.y + rowHeight > doc.page.height - MARGIN - 10) {
      doc.addPage();
      header();
    }
    const top = doc.y;
    let x = MARGIN;
    cells.forEach((text, i) => {
      doc.fillColor(i === 1 && r.flagged ? '#a33' : 'black').text(text, x, top, { width: columns[i]!.width - 6 });
      x += columns[i]!.width;
    });
    doc.y = top + rowHeight + 4;
  }
  doc.x = MARGIN;
  doc.fillColor('black');
}
