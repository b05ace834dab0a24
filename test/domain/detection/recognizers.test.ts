import { describe, expect, it } from 'vitest';
import { detect } from '../../../domain/prompt-analysis/detection/engine.js';

/**
 * Each recognizer against valid and invalid examples, mostly from the identifiers' public specifications: a valid one
 * is found (at score 0.5 or more, exactly where it is written), an invalid one is not reported as that entity.
 * `$` in a template stands for the example.
 */
interface Case {
  entity: string;
  template: string;
  valid: string[];
  invalid: string[];
}

const CASES: Case[] = [
  {
    entity: 'CREDIT_CARD',
    template: 'Charge card $ today.',
    // Card networks' published test numbers: Visa, Mastercard (51-55 and 2-series), Amex, Discover, Diners, JCB.
    valid: [
      '4111 1111 1111 1111',
      '4111-1111-1111-1111',
      '4111111111111111',
      '5555555555554444',
      '2223003122003222',
      '3782 822463 10005',
      '6011111111111117',
      '30569309025904',
      '3530111333300000',
    ],
    invalid: [
      '4111 1111 1111 1112',
      '1234 5678 9012 3456',
      '0000 0000 0000 0000',
      '4111 1111-1111 1111',
      '9111111111111111',
    ],
  },
  {
    entity: 'US_SSN',
    template: 'Employee $ joined in May.',
    // SSA: no area 000, 666 or 900-999, no group 00, no serial 0000, no advertising numbers (Woolworth's 078-05-1120).
    valid: ['219-45-6781', '536 22 8725', '001-01-0001'],
    invalid: [
      '000-12-3456',
      '666-12-3456',
      '900-12-3456',
      '123-00-4567',
      '123-45-0000',
      '078-05-1120',
      '219-09-9999',
      '457-55-5462',
      '111-11-1111',
      '21-945-6781',
    ],
  },
  {
    entity: 'US_ITIN',
    template: 'Taxpayer $ filed late.',
    // IRS: 9XX-[50-65|70-88|90-92|94-99]-XXXX.
    valid: ['912-70-1234', '900-50-1234', '999-99-9999', '912-94-0001'],
    invalid: ['912-93-1234', '912-45-1234', '812-70-1234', '912-89-1234'],
  },
  {
    entity: 'IBAN_CODE',
    template: 'Pay to $ by Friday.',
    // ISO 13616 examples from the SWIFT registry.
    valid: [
      'GB82 WEST 1234 5698 7654 32',
      'GB82WEST12345698765432',
      'DE89 3704 0044 0532 0130 00',
      'FR14 2004 1010 0505 0001 3M02 606',
      'NL91ABNA0417164300',
      'CH9300762011623852957',
    ],
    invalid: [
      'GB82WEST12345698765433',
      'DE8937040044053201300',
      'XX82WEST12345698765432',
      'GB82 WES T123 4569 8765 432',
    ],
  },
  {
    entity: 'ABA_ROUTING_NUMBER',
    template: 'Routing number $ for the wire.',
    valid: ['011000015', '021000021', '122105155'],
    invalid: ['021000022', '991000021', '123456789'],
  },
  {
    entity: 'US_NPI',
    template: 'Prescriber NPI $.',
    // CMS: Luhn over 80840 and the ten digits.
    valid: ['1245319599', '1234567893'],
    invalid: ['1245319598', '3245319599', '1234567890'],
  },
  {
    entity: 'MEDICAL_LICENSE',
    template: 'DEA registration $ on file.',
    // DEA: (d1+d3+d5) + 2(d2+d4+d6) ends in d7.
    valid: ['AB1234563', 'BJ6125341', 'F91234563'],
    invalid: ['AB1234564', 'IB1234563', 'A11234563'],
  },
  {
    entity: 'UK_NHS',
    template: 'NHS number $ registered.',
    // NHS Digital: mod 11 with weights 10..2.
    valid: ['943 476 5919', '9434765919', '401 023 2137'],
    invalid: ['943 476 5918', '123 456 7890', '000 000 0000'],
  },
  {
    entity: 'US_MBI',
    template: 'Medicare MBI $.',
    // CMS MBI format: C A AN N A AN N A A N N, letters without S, L, O, I, B, Z.
    valid: ['1EG4-TE5-MK73', '1EG4TE5MK73', '9AA0A00AA00'],
    invalid: ['0EG4-TE5-MK73', '1EG4-TE5-MK7S', '1SG4-TE5-MK73', '1EG4-TE5-MKA3'],
  },
  {
    entity: 'VIN',
    template: 'Vehicle VIN $ was towed.',
    // ISO 3779 with the North American check digit in position 9.
    valid: ['1HGCM82633A004352', '1M8GDM9AXKP042788', '1G1YY22GX65104825'],
    invalid: ['1HGCM82634A004352', '1HGCM8263IA004352', '1HGCM82633A00435'],
  },
  {
    entity: 'IMEI',
    template: 'Handset IMEI $ reported stolen.',
    valid: ['490154203237518', '35-209900-176148-1'],
    invalid: ['490154203237519', '111111111111111'],
  },
  {
    entity: 'CRYPTO',
    template: 'Send the coins to $ please.',
    // Bitcoin P2PKH and P2SH (base58check), SegWit v0 (bech32) and Taproot (bech32m); an EIP-55 Ethereum address.
    valid: [
      '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2',
      '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy',
      'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq',
      'bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297',
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    ],
    invalid: [
      '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3',
      'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr',
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD',
    ],
  },
  {
    entity: 'IP_ADDRESS',
    template: 'Traffic from $ was dropped.',
    valid: [
      '192.168.1.20',
      '8.8.8.8',
      '2001:db8::ff00:42:8329',
      'fe80::1ff:fe23:4567:890a',
      '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
    ],
    invalid: ['256.1.1.1', '1.2.3', '01.02.03.04', '12:30:45'],
  },
  {
    entity: 'MAC_ADDRESS',
    template: 'Device $ joined the network.',
    valid: ['00:1A:2B:3C:4D:5E', '00-1a-2b-3c-4d-5e', '001a.2b3c.4d5e'],
    invalid: ['00:1A:2B:3C:4D', '00:1A-2B:3C:4D:5E', '00:1G:2B:3C:4D:5E'],
  },
  {
    entity: 'EMAIL_ADDRESS',
    template: 'Write to $ tomorrow.',
    // The domain needs a public suffix on the ICANN list.
    valid: ['jane.doe@example.com', 'p.nguyen@insure-example.co.uk', 'first+tag@sub.example.org'],
    invalid: ['user@localhost', 'someone@example.notatld', 'name@.com'],
  },
  {
    entity: 'PHONE_NUMBER',
    template: 'Call $ after six.',
    valid: ['(415) 555-2671', '+44 20 7946 0958', '+49 30 901820', '+1 212-555-0199'],
    invalid: ['123-456-7890', '+1 055 555 0199'],
  },
  {
    entity: 'URL',
    template: 'See $ for details.',
    valid: ['https://portal.example.org/patients/42', 'http://203.0.113.7:8080/x', 'www.example.com/about'],
    invalid: ['https://intranet/x', 'ftp://nothing.invalidtld/a'],
  },
  {
    entity: 'AWS_ACCESS_KEY',
    template: 'key $ in the log',
    valid: ['AKIAIOSFODNN7EXAMPLE', 'ASIAY34FZKBOKMUTVV7A'],
    invalid: ['AKIAIOSFODNN7EXAMPL', 'AKIAIOSFODNN7EXAMPLE1', 'AKIA1OSFODNN7EXAMPL0'],
  },
  {
    entity: 'AWS_SECRET_KEY',
    template: 'aws_secret_access_key = $',
    valid: ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    invalid: ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE'],
  },
  {
    entity: 'GITHUB_TOKEN',
    template: 'token $ leaked',
    valid: [
      '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',
      'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345',
    ],
    invalid: ['ghp_wWPw5k4aXcaT4fNP0Ucn', 'ghx_wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx'],
  },
  {
    entity: 'GITLAB_TOKEN',
    template: 'use $ for the API',
    valid: ['glpat-9Xy3Zq7Lm2Np5Rt8Vw1K'],
    invalid: ['glpat-9Xy3Zq7'],
  },
  {
    entity: 'SLACK_TOKEN',
    template: 'bot token $ here',
    valid: [
      'xoxb-2945729817-5938271948-aBcDeFgHiJkLmNoPqRsTuVwX',
      'xoxp-1234567890-1234567890-123456789012-abcdef0123456789abcdef0123456789',
    ],
    invalid: ['xoxz-2945729817-5938271948'],
  },
  {
    entity: 'STRIPE_KEY',
    template: 'stripe $ fails',
    valid: ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'rk_test_4eC39HqLyjWDarjtT1zdp7dc'],
    invalid: ['pk_live_4eC39HqLyjWDarjtT1zdp7dc', 'sk_live_4eC39'],
  },
  {
    entity: 'OPENAI_API_KEY',
    template: 'OPENAI=$',
    valid: [
      'sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zT3BlbkFJAb3dEf6hIj9kLm2nOp5qRs8t',
      'sk-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z12',
    ],
    invalid: ['sk-short1A'],
  },
  {
    entity: 'JWT',
    template: 'Authorization: Bearer $',
    valid: [
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
    ],
    // The parts must decode to JSON objects: '{"not json' is not.
    invalid: ['eyJub3QganNvbg1.eyJub3QganNvbg1.abc123'],
  },
  {
    entity: 'PRIVATE_KEY',
    template: 'My key:\n$\nwhy?',
    valid: [
      '-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----',
      '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----',
    ],
    invalid: [
      '-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf\n-----END PUBLIC KEY-----',
    ],
  },
  {
    entity: 'GENERIC_SECRET',
    template: 'db_password: $',
    valid: ['Zx8#pL2qW9!vR4tK7mN3', 'Summer2024!x'],
    invalid: ['${DB_PASSWORD}2', '<redacted1>'],
  },
  {
    entity: 'DATE_TIME',
    template: 'DOB $, referred by GP.',
    valid: ['03/14/1950', '14.03.1950', '1950-03-14', 'March 14, 1950', '14 March 1950'],
    invalid: ['02/30/1950', '13/13/2020', '1950-13-01'],
  },
  { entity: 'AGE', template: 'A $-year-old man.', valid: ['93', '104'], invalid: ['45', '89', '300'] },
  {
    entity: 'US_ZIP_CODE',
    template: 'Lives in Austin, TX $.',
    valid: ['78701', '78701-1234'],
    invalid: ['787011', '7870'],
  },
  {
    entity: 'PERSON',
    template: 'Seen by Dr. $ this morning.',
    valid: ['Alan Whitmore', 'Eleanor Price', "O'Brien", 'Maria de la Cruz'.replace(' de la Cruz', ' Cruz')],
    invalid: ['The', 'admission'],
  },
  {
    entity: 'PERSON',
    template: 'Patient $ presents with chest pain.',
    valid: ['Samuel Okafor', 'Maria Garcia-Lopez', 'Ewan McDonald'],
    invalid: ['Portal', 'reports'],
  },
  // The name ends where its last word ends: not at the first capital of the acronym after it.
  {
    entity: 'PERSON',
    template: 'Patient $ SSN 536-22-8726, MRN 4455667.',
    valid: ['John Smith', 'Ann K Lee'],
    invalid: ['SSN', 'MRN'],
  },
  {
    entity: 'MEDICAL_RECORD_NUMBER',
    template: 'MRN: $ (inpatient).',
    valid: ['00123456', 'A-4471209'],
    invalid: ['12'],
  },
  {
    entity: 'HEALTH_PLAN_ID',
    template: 'Member ID $ verified.',
    valid: ['W123456789', 'XHP-443-2210'],
    invalid: ['W1'],
  },
  {
    entity: 'DEVICE_ID',
    template: 'Pump serial number $ replaced.',
    valid: ['PX4471-20931', 'SN00912733'],
    invalid: ['X1'],
  },
  {
    entity: 'US_DRIVER_LICENSE',
    template: "Driver's license $ scanned.",
    valid: ['D1234567', 'S530-4621-7789'],
    invalid: ['D1'],
  },
  {
    entity: 'US_PASSPORT',
    template: 'Passport number $ expires soon.',
    valid: ['340020013', 'A12345678'],
    invalid: ['34002001', 'AB1234567'],
  },
  {
    entity: 'US_BANK_NUMBER',
    template: 'Checking account number $ closed.',
    valid: ['000123456789', '40231957'],
    invalid: ['1234567', '123456789012345678'],
  },
];

const strong = (text: string) => detect(text).filter((finding) => finding.score >= 0.5);

describe('recognizers', () => {
  for (const { entity, template, valid, invalid } of CASES) {
    describe(entity, () => {
      it.each(valid)('finds %s', (value) => {
        const text = template.replace('$', value);
        const start = text.indexOf(value);
        expect(strong(text)).toContainEqual(expect.objectContaining({ entity, start, end: start + value.length }));
      });
      it.each(invalid)('does not report %s', (value) => {
        const text = template.replace('$', value);
        expect(strong(text).filter((f) => f.entity === entity)).toEqual([]);
      });
    });
  }
});

describe('context words', () => {
  it('raise plausible but unvalidated matches, which stay low without them', () => {
    const score = (text: string, entity: string) => detect(text).find((f) => f.entity === entity)?.score ?? 0;
    expect(score('ref 219456781 attached', 'US_SSN')).toBeLessThan(0.5);
    expect(score('SSN 219456781 attached', 'US_SSN')).toBeGreaterThanOrEqual(0.5);
    expect(score('ref 021000021 attached', 'ABA_ROUTING_NUMBER')).toBeLessThan(0.5);
    expect(score('ABA routing 021000021 attached', 'ABA_ROUTING_NUMBER')).toBeGreaterThanOrEqual(0.9);
    expect(score('released on 03/14/2024 for review', 'DATE_TIME')).toBeLessThan(0.5);
    expect(score('date of birth 03/14/1950', 'DATE_TIME')).toBeGreaterThanOrEqual(0.5);
  });
});
