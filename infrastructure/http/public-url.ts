/**
 * Where links in mails, messages and documents point: PUBLIC_URL, or else the address this ledger itself listens on
 * (the embedded default). Never a request's Host or X-Forwarded-Host header, which whoever sends the request chooses:
 * a password-reset link built from it would hand the token to them.
 */
export class PublicUrl {
  private listening: string | undefined;

  constructor(private readonly configured: string | undefined) {}

  /** Told by the process once its server listens (its port may have been chosen by the system). */
  listeningAt(url: string): void {
    this.listening = url;
  }

  /** The base URL, without a trailing slash. */
  get base(): string {
    const base = this.configured ?? this.listening;
    if (!base) throw new Error('PublicUrl used before the ledger listens');
    return base;
  }

  /** An absolute link to a path of the ledger, such as `/verify-email?token=…`. */
  link(path: string): string {
    return `${this.base}${path}`;
  }
}
