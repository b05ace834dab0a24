import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

/** A blob written to a staging area, hashed and measured on the way; nothing is visible until commit(). */
export interface StagedBlob {
  sha256: string;
  size: number;
  /** The first bytes, for content sniffing. */
  head: Buffer;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

export class BlobTooLargeError extends Error {
  override readonly name = 'BlobTooLargeError';
}

/**
 * Content-addressed blob storage: each blob lives under its SHA-256, so the same file uploaded twice is stored once.
 * Blobs are streamed, never held in memory whole. This is the embedded default's filesystem store (DATA_DIR/blobs).
 */
export interface BlobStore {
  stage(source: Readable, options: { maxBytes: number }): Promise<StagedBlob>;
  open(sha256: string): Promise<Readable>;
  exists(sha256: string): Promise<boolean>;
}

const HEAD_BYTES = 64 * 1024;

/**
 * Removes staging files left behind by a process that stopped mid-upload (a crash, a kill): an upload that fails
 * removes its own, but a process that dies cannot. Only files older than `olderThanMs`, which no upload in flight
 * can own. Run at start.
 */
export async function clearStaging(staging: string, olderThanMs: number, now = Date.now()): Promise<number> {
  const names = await readdir(staging).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    const path = join(staging, name);
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile() && now - info.mtimeMs > olderThanMs) {
      await rm(path, { force: true });
      removed++;
    }
  }
  return removed;
}

/** Streams a blob into a staging file, hashing it, measuring it and keeping its first bytes; removes it on failure. */
export async function stageToFile(
  source: Readable,
  staging: string,
  maxBytes: number,
): Promise<{ file: string; sha256: string; size: number; head: Buffer }> {
  await mkdir(staging, { recursive: true });
  const file = join(staging, randomUUID());
  const hash = createHash('sha256');
  let size = 0;
  const head: Buffer[] = [];
  let headSize = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new BlobTooLargeError(`The file is larger than ${maxBytes} bytes`));
      hash.update(chunk);
      if (headSize < HEAD_BYTES) {
        head.push(chunk.subarray(0, HEAD_BYTES - headSize));
        headSize += Math.min(chunk.length, HEAD_BYTES - headSize);
      }
      done(null, chunk);
    },
  });
  const sink = createWriteStream(file, { flags: 'wx', mode: 0o600 });
  try {
    await pipeline(source, meter, sink);
  } catch (error) {
    // The pipeline fails as soon as the meter does, when the file may not even be open yet: removing it before the
    // stream has closed would leave the file it then creates behind.
    if (!sink.closed) await new Promise<void>((resolve) => sink.once('close', () => resolve()));
    await rm(file, { force: true });
    throw error;
  }
  return { file, sha256: hash.digest('hex'), size, head: Buffer.concat(head) };
}

export class FileBlobStore implements BlobStore {
  constructor(private readonly dir: string) {}

  private pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new RangeError('Not a SHA-256');
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  async stage(source: Readable, { maxBytes }: { maxBytes: number }): Promise<StagedBlob> {
    const staged = await stageToFile(source, join(this.dir, 'staging'), maxBytes);
    const target = this.pathOf(staged.sha256);
    return {
      ...staged,
      commit: async () => {
        await mkdir(join(this.dir, staged.sha256.slice(0, 2)), { recursive: true });
        if (await this.exists(staged.sha256)) await rm(staged.file, { force: true });
        else await rename(staged.file, target);
      },
      discard: () => rm(staged.file, { force: true }),
    };
  }

  async open(sha256: string): Promise<Readable> {
    const path = this.pathOf(sha256);
    await stat(path);
    return createReadStream(path);
  }

  async exists(sha256: string): Promise<boolean> {
    return stat(this.pathOf(sha256)).then(
      () => true,
      () => false,
    );
  }
}
