import { randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

/**
 * TOTP (RFC 6238) with the settings every authenticator app understands: SHA-1, 6 digits, 30-second steps. A code is
 * accepted one step either side of now (clocks drift); which step it matched is answered, so that the user's
 * aggregate can refuse the same step twice (a replayed code).
 */
const PERIOD = 30;
const ISSUER = 'Compliance Ledger';

/** A fresh 160-bit secret, base32 as apps take it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, label: string): TOTP {
  return new TOTP({
    issuer: ISSUER,
    label,
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD,
  });
}

/** What an authenticator app scans: the otpauth:// URL, and the same as a QR code (a data: URL of a PNG). */
export async function enrolmentOf(
  secret: string,
  label: string,
): Promise<{ secret: string; otpauthUrl: string; qrCode: string }> {
  const otpauthUrl = totp(secret, label).toString();
  return { secret, otpauthUrl, qrCode: await QRCode.toDataURL(otpauthUrl, { errorCorrectionLevel: 'M' }) };
}

/** The time step a code belongs to (now, or one step before or after), or null when it matches none. */
export function matchedStep(secret: string, code: string, now: Date): number | null {
  const timestamp = now.getTime();
  const delta = totp(secret, 'check').validate({ token: code, timestamp, window: 1 });
  if (delta === null) return null;
  return TOTP.counter({ period: PERIOD, timestamp }) + delta;
}

/** A six-digit code is a TOTP code; anything else offered as a second factor is read as a recovery code. */
export const isTotpCode = (code: string): boolean => /^\d{6}$/.test(code);

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no 0/o, 1/l/i to misread
export const RECOVERY_CODES = 10;

/** Ten single-use recovery codes, about 49 bits each, written xxxxx-xxxxx. */
export function newRecoveryCodes(): string[] {
  const part = () => Array.from({ length: 5 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('');
  return Array.from({ length: RECOVERY_CODES }, () => `${part()}-${part()}`);
}

/** As typed: case, spaces and dashes do not matter. */
export function normalRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}
