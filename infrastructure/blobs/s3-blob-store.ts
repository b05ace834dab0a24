import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { stageToFile, type BlobStore, type StagedBlob } from './blob-store.js';

export interface S3BlobStoreOptions {
  bucket: string;
  region: string;
  /** For S3-compatible stores (MinIO, Ceph, R2…); unset for AWS. */
  endpoint?: string;
  forcePathStyle?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Local folder where uploads are staged (hashed and measured) before they go to the bucket. */
  stagingDir: string;
}

/**
 * Blob storage on S3 (production). Uploads are staged on local disk first, because the object key is the content's
 * SHA-256, known only once the whole file has been read; commit() then streams the file to the bucket.
 */
export class S3BlobStore implements BlobStore {
  private readonly s3: S3Client;

  constructor(private readonly options: S3BlobStoreOptions) {
    this.s3 = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
      // Plain signed requests: checksums only where S3 requires them, so that S3-compatible stores accept them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private key(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new RangeError('Not a SHA-256');
    return `blobs/${sha256.slice(0, 2)}/${sha256}`;
  }

  async stage(source: Readable, { maxBytes }: { maxBytes: number }): Promise<StagedBlob> {
    const staged = await stageToFile(source, this.options.stagingDir, maxBytes);
    return {
      sha256: staged.sha256,
      size: staged.size,
      head: staged.head,
      commit: async () => {
        try {
          if (!(await this.exists(staged.sha256))) {
            await this.s3.send(
              new PutObjectCommand({
                Bucket: this.options.bucket,
                Key: this.key(staged.sha256),
                Body: createReadStream(staged.file),
                ContentLength: staged.size,
              }),
            );
          }
        } finally {
          await rm(staged.file, { force: true });
        }
      },
      discard: () => rm(staged.file, { force: true }),
    };
  }

  async open(sha256: string): Promise<Readable> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(sha256) }));
    return object.Body as Readable;
  }

  async exists(sha256: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.key(sha256) }));
      return true;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (error as Error).name === 'NotFound') return false;
      throw error;
    }
  }

  close(): void {
    this.s3.destroy();
  }
}
