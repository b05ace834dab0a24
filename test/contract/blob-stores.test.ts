import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobTooLargeError, FileBlobStore, type BlobStore } from '../../infrastructure/blobs/blob-store.js';
import { S3BlobStore } from '../../infrastructure/blobs/s3-blob-store.js';
import { startFakeS3Server } from '../support/fake-s3-server.js';

/** One suite for every BlobStore adapter. */
function blobStoreContract(
  adapter: string,
  make: () => Promise<{ store: BlobStore; staging: string; cleanup(): Promise<void> }>,
): void {
  describe(`BlobStore contract: ${adapter}`, () => {
    let h: Awaited<ReturnType<typeof make>>;
    beforeAll(async () => {
      h = await make();
    });
    afterAll(() => h?.cleanup());
    const staged = () => readdirSync(h.staging);

    it('stores by SHA-256 only on commit, and reads the same bytes back', async () => {
      const content = 'evidence body\n'.repeat(1000);
      const sha256 = createHash('sha256').update(content).digest('hex');
      const blob = await h.store.stage(Readable.from([Buffer.from(content)]), { maxBytes: 1_000_000 });
      expect(blob).toMatchObject({ sha256, size: content.length });
      expect(blob.head.toString()).toBe(content);
      expect(await h.store.exists(sha256)).toBe(false);
      await blob.commit();
      expect(await h.store.exists(sha256)).toBe(true);
      expect(await text(await h.store.open(sha256))).toBe(content);
      expect(staged()).toEqual([]);
    });

    it('stores the same content once, and leaves nothing when discarded or too large', async () => {
      const first = await h.store.stage(Readable.from([Buffer.from('same')]), { maxBytes: 100 });
      const second = await h.store.stage(Readable.from([Buffer.from('same')]), { maxBytes: 100 });
      await first.commit();
      await second.commit();
      const discarded = await h.store.stage(Readable.from([Buffer.from('never kept')]), { maxBytes: 100 });
      await discarded.discard();
      expect(await h.store.exists(discarded.sha256)).toBe(false);
      await expect(h.store.stage(Readable.from([Buffer.alloc(200)]), { maxBytes: 100 })).rejects.toBeInstanceOf(
        BlobTooLargeError,
      );
      expect(staged()).toEqual([]);
    });

    it('leaves nothing behind for many uploads refused as too large at once', async () => {
      // The refusal can come before the staging file is even open: nothing may appear after it was cleaned up.
      const refused = await Promise.allSettled(
        Array.from({ length: 200 }, () => h.store.stage(Readable.from([Buffer.alloc(200)]), { maxBytes: 100 })),
      );
      expect(refused.every((r) => r.status === 'rejected' && r.reason instanceof BlobTooLargeError)).toBe(true);
      expect(staged()).toEqual([]);
    });
  });
}

blobStoreContract('filesystem', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-blobs-'));
  return {
    store: new FileBlobStore(dir),
    staging: join(dir, 'staging'),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

blobStoreContract('S3 (against a fake S3 endpoint)', async () => {
  const s3 = await startFakeS3Server();
  const staging = mkdtempSync(join(tmpdir(), 'ledger-s3-staging-'));
  const store = new S3BlobStore({
    bucket: 'evidence',
    region: 'us-east-1',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'fake', secretAccessKey: 'fake' },
    stagingDir: staging,
  });
  return {
    store,
    staging,
    async cleanup() {
      store.close();
      await s3.close();
      rmSync(staging, { recursive: true, force: true });
    },
  };
});
