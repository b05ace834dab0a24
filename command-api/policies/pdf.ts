import PDFDocument from 'pdfkit';

/** Renders the policy Markdown the generator and editors write (headings, paragraphs, bullets, quotes) as a PDF. */
export function markdownToPdf(markdown: string, meta: { title: string; footer: string }): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: meta.title, Creator: 'Compliance Ledger' } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const plain = (text: string): string =>
    text
      .replace(/\*\*(.+?)\*\*/g, '$1')
      .replace(/\*(.+?)\*/g, '$1')
      .replace(/`(.+?)`/g, '$1');
  for (const line of markdown.split('\n')) {
    const heading = /^(#{1,3})\s+(.*)$/.exec(line);
    if (heading) {
      doc
        .moveDown(0.6)
        .font('Helvetica-Bold')
        .fontSize([20, 15, 12][heading[1]!.length - 1]!)
        .text(plain(heading[2]!));
      doc.moveDown(0.3);
    } else if (/^\s*[-*]\s+/.test(line)) {
      doc
        .font('Helvetica')
        .fontSize(10.5)
        .text(`•  ${plain(line.replace(/^\s*[-*]\s+/, ''))}`, { indent: 12 });
    } else if (line.startsWith('>')) {
      doc
        .font('Helvetica-Oblique')
        .fontSize(9)
        .fillColor('#555555')
        .text(plain(line.replace(/^>\s?/, '')))
        .fillColor('black');
    } else if (line.trim()) {
      doc.font('Helvetica').fontSize(10.5).text(plain(line), { align: 'left' });
    } else {
      doc.moveDown(0.5);
    }
  }
  doc.moveDown(2).font('Helvetica').fontSize(8).fillColor('#777777').text(meta.footer);
  doc.end();
  return done;
}
