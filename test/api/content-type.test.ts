import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectContentType, sanitiseFileName } from '../../command-api/evidence/content-type.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));

describe('evidence content types, by their bytes', () => {
  it.each([
    ['minimal.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    ['minimal.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ])('recognises %s', async (name, type) => {
    expect(await detectContentType(fixture(name), 'upload.bin')).toBe(type);
  });

  it('recognises PDF, PNG and JPEG whatever their names say, and text kinds by name', async () => {
    expect(await detectContentType(Buffer.from('%PDF-1.7\n'), 'x.txt')).toBe('application/pdf');
    expect(
      await detectContentType(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1]), 'x'),
    ).toBe('image/jpeg');
    expect(await detectContentType(Buffer.from('{"mfa": true}'), 'export.json')).toBe('application/json');
    expect(await detectContentType(Buffer.from('a,b\n1,2\n'), 'export.csv')).toBe('text/csv');
    expect(await detectContentType(Buffer.from('Plain notes, ünïcode too.\n'), 'notes')).toBe('text/plain');
  });

  it('refuses executables, archives and binary junk', async () => {
    expect(
      await detectContentType(Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100)]), 'report.pdf'),
    ).toBeUndefined();
    expect(await detectContentType(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), 'data.csv')).toBeUndefined();
    expect(await detectContentType(Buffer.from([0x00, 0x01, 0x02, 0x03]), 'x.txt')).toBeUndefined();
  });

  it('sanitises file names', () => {
    expect(sanitiseFileName('../../etc/passwd')).toBe('passwd');
    expect(sanitiseFileName('C:\\Users\\me\\Q1 review (final).pdf')).toBe('Q1 review (final).pdf');
    expect(sanitiseFileName('rm -rf $(x);.pdf')).toBe('rm -rf _(x)_.pdf');
    expect(sanitiseFileName('...')).toBe('evidence');
  });
});
