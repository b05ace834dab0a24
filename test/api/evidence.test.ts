import { request as httpRequest } from 'node:http';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseDisposition } from 'content-disposition';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../infrastructure/database/database.js';
import { needs, services } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const skip = needs('postgres').skip || needs('redis').skip;

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
  Buffer.from('IHDR'),
  Buffer.alloc(17),
]);
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90)]);

describe.skipIf(skip)(`evidence over HTTP${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let admin: Awaited<ReturnType<TestLedger['signUp']>>;
  let clientId: string;

  beforeAll(async () => {
    ledger = await startTestLedger({ env: { EVIDENCE_MAX_BYTES: '65536' } });
    admin = await ledger.signUp();
    clientId = (
      await ledger.request<{ data: { clientId: string } }>('POST', '/clients', {
        token: admin.accessToken,
        body: { name: 'Acme', industry: 'health', size: '1-10' },
      })
    ).body.data.clientId;
  });
  afterAll(() => ledger?.close());

  function form(file: Buffer, fileName: string, declaredType: string, fields: Record<string, string> = {}): FormData {
    const data = new FormData();
    for (const [name, value] of Object.entries({
      clientId,
      title: 'Access review Q1',
      validFrom: '2026-01-01',
      expiresAt: '2027-01-01T00:00:00Z',
      ...fields,
    }))
      data.append(name, value);
    data.append('file', new Blob([file], { type: declaredType }), fileName);
    return data;
  }

  async function upload(body: FormData, token = admin.accessToken) {
    const response = await fetch(`${ledger.url}/api/v1/evidence/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body,
    });
    return {
      status: response.status,
      body: (await response.json()) as Record<string, unknown> & {
        data?: { evidenceId: string; sha256: string; size: number; contentType: string };
      },
    };
  }

  async function uploadedEvents(): Promise<number> {
    const database = await openDatabase({
      kind: 'postgres',
      url: services.databaseUrl!,
      schema: ledger.config.DATABASE_SCHEMA,
      poolSize: 1,
    });
    try {
      return (
        await sql<{ n: number }>`select count(*)::int as n from events where type = 'EvidenceUploaded'`.execute(
          database.db,
        )
      ).rows[0]!.n;
    } finally {
      await database.close();
    }
  }

  const staging = () => join(ledger.dataDir, 'blobs', 'staging');
  const staged = () => (existsSync(staging()) ? readdirSync(staging()) : []);

  it('stores a file by its SHA-256 with the type its bytes show, and serves it back', async () => {
    const response = await upload(form(PDF, '../../etc/Access Review.pdf', 'application/octet-stream'));
    expect(response.status).toBe(201);
    expect(response.body.data).toMatchObject({
      size: PDF.length,
      contentType: 'application/pdf',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const download = await fetch(`${ledger.url}/api/v1/evidence/${response.body.data!.evidenceId}/content`, {
      headers: { authorization: `Bearer ${admin.accessToken}` },
    });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    expect(download.headers.get('content-disposition')).toContain('Access Review.pdf');
    expect(download.headers.get('content-disposition')).not.toContain('..');
    expect(Buffer.from(await download.arrayBuffer())).toEqual(PDF);

    const png = await upload(form(PNG, 'diagram.png', 'image/png'));
    expect(png.body.data?.contentType).toBe('image/png');
    const csv = await upload(form(Buffer.from('user,mfa\nada,yes\n'), 'mfa.csv', 'text/csv'));
    expect(csv.body.data?.contentType).toBe('text/csv');
  });

  /** A multipart upload written byte by byte, so that the file name's header is exactly what a hostile client sends. */
  async function uploadRaw(filenameParams: string, file: Buffer) {
    const boundary = 'rawboundary7e3f';
    const fields = { clientId, title: 'Raw', validFrom: '2026-01-01', expiresAt: '2027-01-01' };
    const body = Buffer.concat([
      ...Object.entries(fields).map(([name, value]) =>
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
      ),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; ${filenameParams}\r\n\r\n`),
      file,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const response = await fetch(`${ledger.url}/api/v1/evidence/upload`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${admin.accessToken}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      body,
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { data: { evidenceId: string; contentType: string } }).data;
  }

  async function download(evidenceId: string) {
    const response = await fetch(`${ledger.url}/api/v1/evidence/${evidenceId}/content`, {
      headers: { authorization: `Bearer ${admin.accessToken}` },
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    const disposition = response.headers.get('content-disposition') ?? '';
    return { headers: response.headers, disposition, fileName: parseDisposition(disposition).parameters.filename };
  }

  /** What every evidence download must say, whatever was uploaded: a file to save, never a page to render. */
  function expectInert(headers: Headers, disposition: string) {
    expect(disposition).toMatch(/^attachment;/);
    expect(disposition).not.toMatch(/[\r\n]/);
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
  }

  it('serves a download with the type its bytes were checked as, never the type its name suggests', async () => {
    const html = await upload(
      form(Buffer.from('<html><script>alert(document.cookie)</script></html>\n'), 'note.html', 'text/html'),
    );
    expect(html.body.data?.contentType).toBe('text/plain');
    const served = await download(html.body.data!.evidenceId);
    expect(served.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expectInert(served.headers, served.disposition);
    // Saved to disk as .html it would still open as a page: the name ends in the checked type's extension.
    expect(served.fileName).toBe('note.html.txt');

    const svg = await upload(
      form(
        Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>\n'),
        'logo.svg',
        'image/svg+xml',
      ),
    );
    expect(svg.body.data?.contentType).toBe('text/plain');
    const svgServed = await download(svg.body.data!.evidenceId);
    expect(svgServed.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expectInert(svgServed.headers, svgServed.disposition);
    expect(svgServed.fileName).toBe('logo.svg.txt');

    const report = Buffer.concat([PDF, Buffer.from('% the report\n')]);
    const pdf = await download((await upload(form(report, 'Report.PDF', 'application/pdf'))).body.data!.evidenceId);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expectInert(pdf.headers, pdf.disposition);
    expect(pdf.fileName).toBe('Report.PDF');
    const csv = await download(
      (await upload(form(Buffer.from('a,b\n1,2\n'), 'mfa.csv', 'text/csv'))).body.data!.evidenceId,
    );
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.fileName).toBe('mfa.csv');
  });

  it('sends back a hostile file name as a plain, encoded attachment name', async () => {
    const text = Buffer.from('plain words\n');
    const cases: Array<[string, (name: string) => void]> = [
      // A quote that would end the quoted filename and start a parameter of its own.
      ['filename="a\\"; filename*=UTF-8\'\'evil.html; x=\\".txt"', (name) => expect(name).not.toMatch(/["\\;]/)],
      // CR LF that would start a header of its own (only an RFC 5987 name can carry them through multipart).
      [
        "filename*=UTF-8''report%0D%0ASet-Cookie%3A%20session%3Dx%0D%0A.txt",
        (name) => expect(name).not.toMatch(/[\r\n]/),
      ],
      ['filename="../../../etc/passwd"', (name) => expect(name).toBe('passwd.txt')],
      ['filename="..\\..\\windows\\win.ini"', (name) => expect(name).toBe('win.ini.txt')],
      [
        "filename*=UTF-8''Pr%C3%BCfbericht%20%E6%8A%A5%E5%91%8A.txt",
        (name) => expect(name).toBe('Prüfbericht 报告.txt'),
      ],
    ];
    for (const [i, [params, check]] of cases.entries()) {
      // A file of its own each time: the same file again is the evidence already stored, under its first name.
      const uploaded = await uploadRaw(params, Buffer.concat([text, Buffer.from(`case ${i}\n`)]));
      expect(uploaded.contentType).toBe('text/plain');
      const served = await download(uploaded.evidenceId);
      expectInert(served.headers, served.disposition);
      expect(served.fileName).toBeTruthy();
      expect(served.fileName).not.toMatch(/[/\\]|\.\./);
      // The header itself stays ASCII: anything else travels RFC 5987-encoded in filename*.
      expect(served.disposition).toMatch(/^[\x20-\x7e]+$/);
      check(served.fileName!);
    }
  });

  it('refuses a file whose bytes are not an allowed type, whatever it claims, and keeps nothing', async () => {
    const before = await uploadedEvents();
    const forged = await upload(form(EXE, 'report.pdf', 'application/pdf'));
    expect(forged.status).toBe(415);
    expect(forged.body).toMatchObject({ errors: [{ field: 'file' }] });
    expect(await uploadedEvents()).toBe(before);
    expect(staged()).toEqual([]);
  });

  it('refuses a file over the limit with 413, and missing fields by name', async () => {
    const big = await upload(form(Buffer.concat([PDF, Buffer.alloc(70_000, 0x20)]), 'big.pdf', 'application/pdf'));
    expect(big.status).toBe(413);
    expect(staged()).toEqual([]);
    const data = new FormData();
    data.append('file', new Blob([PDF]), 'x.pdf');
    const missing = await upload(data);
    expect(missing.status).toBe(400);
    expect((missing.body.errors as Array<{ field: string }>).map((e) => e.field).sort()).toEqual([
      'clientId',
      'expiresAt',
      'title',
      'validFrom',
    ]);
    const backwards = await upload(
      form(PDF, 'x.pdf', 'application/pdf', { validFrom: '2027-01-01', expiresAt: '2026-01-01' }),
    );
    expect(backwards.status).toBe(422);
    expect(backwards.body).toMatchObject({ errors: [{ field: 'expiresAt' }] });
  });

  it('answers a multipart body that is not well-formed with a 400, not a 500', async () => {
    const boundary = 'brokenboundary';
    for (const part of [
      // A part header without a colon.
      `--${boundary}\r\nContent-Disposition form-data\r\n\r\nx\r\n--${boundary}--\r\n`,
      // A NUL in the file name.
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a\u0000.pdf"\r\n\r\n%PDF\r\n--${boundary}--\r\n`,
    ]) {
      const response = await fetch(`${ledger.url}/api/v1/evidence/upload`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${admin.accessToken}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
        body: part,
      });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });

  it('leaves neither a blob nor an event when the upload is cut off mid-stream', async () => {
    const before = await uploadedEvents();
    const boundary = 'cutoffboundary';
    const url = new URL(`${ledger.url}/api/v1/evidence/upload`);
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          authorization: `Bearer ${admin.accessToken}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': '100000',
        },
      });
      req.on('error', () => resolve());
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="clientId"\r\n\r\n${clientId}\r\n`);
      req.write(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
      );
      req.write(Buffer.concat([PDF, Buffer.alloc(20_000, 0x20)]));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 200);
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(staged()).toEqual([]);
    expect(await uploadedEvents()).toBe(before);
  });

  it('maps evidence to requirements, retires it, and keeps other tenants out', async () => {
    await ledger.request('PUT', `/clients/${clientId}`, {
      token: admin.accessToken,
      body: { name: 'Acme', industry: 'health', size: '1-10', frameworks: ['soc2'] },
    });
    const { body } = await upload(form(PDF, 'policy.pdf', 'application/pdf'));
    const id = body.data!.evidenceId;
    expect(
      (
        await ledger.request('POST', `/evidence/${id}/map`, {
          token: admin.accessToken,
          body: { requirementIds: ['CC6.1', 'CC6.2'] },
        })
      ).status,
    ).toBe(200);
    const other = await ledger.signUp('other');
    expect(
      (
        await fetch(`${ledger.url}/api/v1/evidence/${id}/content`, {
          headers: { authorization: `Bearer ${other.accessToken}` },
        })
      ).status,
    ).toBe(404);
    expect((await ledger.request('DELETE', `/evidence/${id}`, { token: other.accessToken })).status).toBe(404);
    expect((await ledger.request('DELETE', `/evidence/${id}`, { token: admin.accessToken })).body).toMatchObject({
      data: { status: 'retired' },
    });
    expect(
      (
        await ledger.request('POST', `/evidence/${id}/map`, {
          token: admin.accessToken,
          body: { requirementIds: ['CC7.1'] },
        })
      ).status,
    ).toBe(410);
  });
});

describe.skipIf(skip)(
  `evidence in an S3 bucket (a fake S3 endpoint)${skip ? ' (skipped: no postgres or redis)' : ''}`,
  () => {
    it('uploads into the bucket under the SHA-256 and downloads from it', async () => {
      const { startFakeS3Server } = await import('../support/fake-s3-server.js');
      const s3 = await startFakeS3Server();
      const ledger = await startTestLedger({
        env: {
          BLOB_STORE: 's3',
          S3_BUCKET: 'evidence',
          S3_ENDPOINT: s3.endpoint,
          S3_FORCE_PATH_STYLE: 'true',
          S3_ACCESS_KEY_ID: 'fake',
          S3_SECRET_ACCESS_KEY: 'fake',
        },
      });
      try {
        const admin = await ledger.signUp();
        const { body } = await ledger.request<{ data: { clientId: string } }>('POST', '/clients', {
          token: admin.accessToken,
          body: { name: 'Acme', industry: 'health', size: '1-10' },
        });
        const form = new FormData();
        for (const [name, value] of Object.entries({
          clientId: body.data.clientId,
          title: 'Scan',
          validFrom: '2026-01-01',
          expiresAt: '2027-01-01',
        }))
          form.append(name, value);
        form.append('file', new Blob([PDF]), 'scan.pdf');
        const upload = await fetch(`${ledger.url}/api/v1/evidence/upload`, {
          method: 'POST',
          headers: { authorization: `Bearer ${admin.accessToken}` },
          body: form,
        });
        const uploaded = (await upload.json()) as { data: { evidenceId: string; sha256: string } };
        expect(upload.status).toBe(201);
        expect([...s3.objects.keys()]).toEqual([
          `/evidence/blobs/${uploaded.data.sha256.slice(0, 2)}/${uploaded.data.sha256}`,
        ]);
        const download = await fetch(`${ledger.url}/api/v1/evidence/${uploaded.data.evidenceId}/content`, {
          headers: { authorization: `Bearer ${admin.accessToken}` },
        });
        expect(Buffer.from(await download.arrayBuffer())).toEqual(PDF);
      } finally {
        await ledger.close();
        await s3.close();
      }
    });
  },
);
