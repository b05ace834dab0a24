import { describe, expect, it } from 'vitest';
import { detect, type DetectorOptions } from '../../../domain/prompt-analysis/detection/engine.js';

/**
 * Identifiers outside the US and the forms of network and payment identifiers added in engine version 4. Every value
 * is written from the specification's rules, its check digit computed for these tests; none belongs to anyone. A
 * valid one is found at 0.5 or more exactly where written; an invalid one (a broken check digit, a look-alike) is
 * not reported as that entity. `$` in a template stands for the example.
 */
interface Case {
  entity: string;
  template: string;
  valid: string[];
  invalid: string[];
  options?: DetectorOptions;
}

const GB = { regions: ['GB'] };
const GDPR = { frameworks: ['gdpr'] };

const CASES: Case[] = [
  // Network
  {
    entity: 'IP_ADDRESS',
    template: 'The client at $ keeps dropping off the VPN.',
    valid: [
      'fe80::1',
      '2a02:8071::1',
      '2a02:8071:0000:0000:0000:ff00:0042:8329',
      '::ffff:192.0.2.1',
      'fe80::1%eth0',
      '2a02:8071::/32',
      'fd00:abcd:12::7',
      'abcd::ef01',
    ],
    invalid: ['12:30:45', '1::2', '2001:db8::1::2', 'std::ab12', 'Foo::bar2'],
  },
  {
    entity: 'IP_ADDRESS',
    template: 'curl -g http://[$]:8080/health fails.',
    valid: ['2a02:8071::1'],
    invalid: [],
  },
  {
    entity: 'MAC_ADDRESS',
    template: 'The badge reader with MAC $ went offline.',
    valid: ['AA:BB:CC:DD:EE:FF', 'AA-BB-CC-DD-EE-FF', 'aabb.ccdd.eeff', '3c:5a:b4:0e:91:7d', '3c5a.b40e.917d'],
    invalid: ['00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff', 'AA:BB:CC:DD:EE', 'AA:BB-CC:DD:EE:FF'],
  },
  {
    entity: 'URL',
    template: 'She said to look at $ before the call.',
    valid: ['microsoft.com', 'google.co.il', 'bbc.co.uk', 'example.org/pricing', 'lemonde.fr'],
    invalid: [
      'www.microsoft',
      'report.pdf',
      'index.js',
      'node.js',
      'e.g.',
      'readme.md',
      'setup.py',
      'v1.2.3',
      'user.name',
      'user.id',
      'ASP.NET',
      'main.rs',
    ],
  },
  // Phones in national form: the policy's regions, or the country named near the number
  {
    entity: 'PHONE_NUMBER',
    template: 'Our Tel Aviv office is on $ during the week.',
    valid: ['052-555-1234', '03-6123456'],
    invalid: ['050-123-4567'],
  },
  {
    entity: 'PHONE_NUMBER',
    template: 'The Tokyo supplier can be reached at $.',
    valid: ['03-1234-5678', '090-1234-5678'],
    invalid: [],
  },
  {
    entity: 'PHONE_NUMBER',
    template: 'Ring the Beijing distributor: $.',
    valid: ['138 0013 8000', '010-1234-5678'],
    invalid: [],
  },
  {
    entity: 'PHONE_NUMBER',
    template: 'Call the warehouse on $ about the pallets.',
    valid: ['98765 43210'],
    invalid: [],
    options: { regions: ['IN'] },
  },
  {
    entity: 'PHONE_NUMBER',
    template: 'Rufen Sie $ an, the Berlin desk.',
    valid: ['030 12345678', '0151 23456789'],
    invalid: [],
  },
  {
    entity: 'PHONE_NUMBER',
    template: 'Son portable est le $ (bureau de Paris).',
    valid: ['06 12 34 56 78'],
    invalid: [],
  },
  // Payment and banking
  {
    entity: 'ABA_ROUTING_NUMBER',
    template: 'The routing number printed on the check is $.',
    valid: ['0711-0130-7', '3222 7158 8', '071101307'],
    invalid: ['0711-0130-8', '0711-01307'],
  },
  {
    entity: 'US_NPI',
    template: 'Referring provider NPI $ is on the claim.',
    valid: ['1847263518', '1847 263 518', '184-726-3518'],
    invalid: ['184-726-3519'],
  },
  {
    entity: 'CREDIT_CARD',
    template: 'The traveller paid with card $ at the gate.',
    valid: [
      '1387 4629 0517 369',
      '138746290517369',
      '2204 3187 6540 9129',
      '2720 1439 6182 0571',
      '6448 3102 7569 1830',
      '3589 0471 2638 4506',
      '6214 8307 5916 2844',
      '38521047963187',
      '4518739062148375624',
      '675923048168',
    ],
    invalid: ['1387 4629 0517 368', '2205 3187 6540 9129'],
  },
  {
    entity: 'IBAN_CODE',
    template: 'Please wire the deposit to $ this week.',
    valid: [
      'QA36 QNBA 0000 0000 4271 9356 08BK R',
      'MU41 MCBL 0944 1072 5269 1830 000M UR',
      'SC24 BAHL 1304 0000 0000 0000 4286 EUR',
      'BR21 1823 6200 0007 3941 0562 718C 1',
      'KW87NBOK0000000000002019384756',
      'HN88CABF00000000000250005469',
    ],
    invalid: ['QA36 QNBA 0000 0000 4271 9356 08BK S', 'KW87NBOK0000000000002019384757'],
  },
  // UK
  {
    entity: 'UK_NINO',
    template: 'Her National Insurance number is $ according to payroll.',
    valid: ['NP417382C', 'NP 41 73 82 C', 'JG103759A'],
    invalid: ['QQ123456C', 'NP417382E', 'GB417382C'],
  },
  {
    entity: 'UK_NINO',
    template: 'Update the record for $ before Friday.',
    valid: ['NP417382C'],
    invalid: [],
    options: GB,
  },
  {
    entity: 'UK_POSTCODE',
    template: 'Deliver to 10 Downing Street, London $ by noon.',
    valid: ['SW1A 2AA', 'M60 2LA', 'EH1 2NG'],
    invalid: ['SW1A 2CA', 'Q1 2AA'],
    options: GB,
  },
  {
    entity: 'UK_DRIVING_LICENCE',
    template: 'Driving licence $ was checked at the counter.',
    valid: ['HARRI803129JA9KM', 'HARRI853129JA9KM'],
    invalid: ['HARRI813129JA9KM', 'HARRI843129JA9KM', 'HARRI803429JA9KM'],
  },
  {
    entity: 'UK_PASSPORT',
    template: 'Copy of passport $ attached to the visa file.',
    valid: ['548213907'],
    invalid: ['111111111'],
    options: GB,
  },
  // Germany
  {
    entity: 'DE_TAX_ID',
    template: 'Meine Steuer-ID ist $, bitte eintragen.',
    valid: ['57281930454', '40 618 372 941', '39162074539'],
    invalid: ['57281930455', '12345678901', '11111111116'],
  },
  {
    entity: 'DE_ID_CARD',
    template: 'Personalausweis Nr. $ wurde vorgelegt.',
    valid: ['L7X42RT19', 'L7X42RT197'],
    invalid: ['L7X42RT198', 'A7X42RT19'],
  },
  {
    entity: 'DE_PASSPORT',
    template: 'Reisepass $ gültig bis 2031.',
    valid: ['C4J7R2M95', 'C4J7R2M953'],
    invalid: ['C4J7R2M954', 'L4J7R2M95'],
  },
  {
    entity: 'DE_HEALTH_INSURANCE',
    template: 'Krankenversichertennummer $ auf der Gesundheitskarte.',
    valid: ['M482176533', 'T903625188'],
    invalid: ['M482176534'],
  },
  {
    entity: 'DE_HEALTH_INSURANCE',
    template: 'Patientin mit $ bitte zurückrufen.',
    valid: ['M482176533'],
    invalid: [],
    options: GDPR,
  },
  // France, Spain, Italy
  {
    entity: 'FR_NIR',
    template: 'Numéro de sécurité sociale : $ (carte Vitale).',
    valid: ['2 86 03 75 112 347 90', '286037511234790', '1 92 04 2A 004 017 94'],
    invalid: ['2 86 03 75 112 347 91', '5 86 03 75 112 347 90'],
  },
  {
    entity: 'ES_DNI',
    template: 'El cliente con DNI $ pidió la factura.',
    valid: ['48213576X', '48213576-X', '48.213.576-X', '70394128Y'],
    invalid: ['48213576A', '4821357X'],
  },
  {
    entity: 'ES_NIE',
    template: 'Su NIE es $ y vive en Valencia.',
    valid: ['Y3618204L', 'X-9047153-B'],
    invalid: ['Y3618204M', 'W3618204L'],
  },
  {
    entity: 'IT_CODICE_FISCALE',
    template: 'Il codice fiscale del paziente è $.',
    valid: ['BNCGLI78E52F205Z', 'VRDLCU91A01H501J'],
    invalid: ['BNCGLI78E52F205Y', 'BNCGLI78Z52F205Z'],
  },
  {
    entity: 'IT_CODICE_FISCALE',
    template: 'Controlla $ nel gestionale.',
    valid: ['BNCGLI78E52F205Z'],
    invalid: [],
    options: { regions: ['IT'] },
  },
  // Netherlands, Nordics, Poland
  {
    entity: 'NL_BSN',
    template: 'Het BSN van de werknemer is $.',
    valid: ['738201649', '7382.01.649', '204817353'],
    invalid: ['738201648', '000000000'],
  },
  {
    entity: 'SE_PERSONNUMMER',
    template: 'Personnummer $ finns i journalen.',
    valid: ['900417-2384', '19780214-5719', '7802145719'],
    invalid: ['900417-2385', '901317-2384'],
  },
  {
    entity: 'SE_PERSONNUMMER',
    template: 'Kunden $ ringde om fakturan.',
    valid: ['900417-2384'],
    invalid: [],
    options: { regions: ['SE'] },
  },
  {
    entity: 'FI_HETU',
    template: 'Henkilötunnus $ on tarkistettu.',
    valid: ['230385-457X', '070612A163P'],
    invalid: ['230385-457Y', '320385-457X'],
  },
  {
    entity: 'PL_PESEL',
    template: 'Numer PESEL pacjenta: $.',
    valid: ['88061435272', '02270819340'],
    invalid: ['88061435273', '88131435272'],
  },
  // EU VAT
  {
    entity: 'EU_VAT',
    template: 'Invoice the customer, VAT number $, net 30.',
    valid: [
      'DE279158362',
      'DE 279158362',
      'FR44732829320',
      'IT07862150948',
      'ESB64812738',
      'NL804627133B01',
      'BE0471826311',
      'ATU62948314',
      'PL5261049373',
    ],
    invalid: ['DE279158363', 'FR45732829320', 'IT07862150949', 'ATU62948315', 'PL5261049374', 'BE0471826312'],
  },
  {
    entity: 'EU_VAT',
    template: 'Supplier DE279158362 shipped 40 units.',
    valid: ['DE279158362'],
    invalid: [],
    options: GDPR,
  },
  // Canada, India, Australia
  {
    entity: 'CA_SIN',
    template: 'The applicant gave SIN $ on the form.',
    valid: ['527 183 644', '527-183-644', '730461290'],
    invalid: ['527 183 645', '027 183 644'],
  },
  {
    entity: 'IN_AADHAAR',
    template: 'Aadhaar $ linked to the bank account.',
    valid: ['4973 1826 0543', '497318260543', '6481 9037 2518'],
    invalid: ['4973 1826 0544', '1973 1826 0543'],
  },
  {
    entity: 'IN_PAN',
    template: 'PAN card $ submitted for KYC.',
    valid: ['BKRPS4721M', 'AAFCT9034Q'],
    invalid: ['BKRXS4721M', 'BKRPS47210'],
  },
  {
    entity: 'AU_TFN',
    template: 'Tax file number $ for the new starter.',
    valid: ['459 128 733', '459128733'],
    invalid: ['459 128 734', '876543210'],
  },
  {
    entity: 'AU_MEDICARE',
    template: 'Medicare card $ expires in 2027.',
    valid: ['3951 28462 1', '5273918412', '3951 28462 1 2'],
    invalid: ['3951 28463 1', '7951 28462 1'],
  },
];

const strong = (text: string, options?: DetectorOptions) =>
  detect(text, options).filter((finding) => finding.score >= 0.5);

describe('national and network identifiers', () => {
  for (const { entity, template, valid, invalid, options } of CASES) {
    describe(`${entity} in "${template}"`, () => {
      it.each(valid)('finds %s', (value) => {
        const text = template.replace('$', value);
        const start = text.indexOf(value);
        expect(strong(text, options)).toContainEqual(
          expect.objectContaining({ entity, start, end: start + value.length }),
        );
      });
      it.each(invalid)('does not report %s', (value) => {
        const text = template.replace('$', value);
        expect(strong(text, options).filter((f) => f.entity === entity)).toEqual([]);
      });
    });
  }
});

describe('which national identifiers run', () => {
  it('looks for a country’s identifiers without a cue only in the client’s jurisdictions', () => {
    const text = 'Please file the form for 738201649 and BNCGLI78E52F205Z today.';
    expect(strong(text).map((f) => f.entity)).toEqual([]);
    expect(strong(text, { regions: ['IT'] }).map((f) => f.entity)).toEqual(['IT_CODICE_FISCALE']);
    // GDPR brings every member state's; a nine-digit BSN without its name stays a weak guess.
    expect(strong(text, GDPR).map((f) => f.entity)).toEqual(['IT_CODICE_FISCALE']);
    expect(detect(text, GDPR).find((f) => f.entity === 'NL_BSN')?.score).toBeLessThan(0.5);
    expect(strong('BSN 738201649 graag', {}).map((f) => f.entity)).toEqual(['NL_BSN']);
  });

  it('leaves look-alikes alone: order numbers, timestamps, versions, hashes, file names', () => {
    const everything = {
      regions: ['GB', 'DE', 'FR', 'ES', 'IT', 'NL', 'SE', 'FI', 'PL', 'CA', 'IN', 'AU'],
      frameworks: ['gdpr'],
    };
    const texts = [
      'Order 100234-7781 shipped on 2024-05-02 at 12:30:45; build 2.14.3 and v10.2.1 are live.',
      'Commit 3f786850e387550fdab836ed7e6dc881de23001b touched index.js, readme.md and setup.py.',
      'Use std::vector<int> and a 16:9 ratio; the meeting is at 09:15:00 UTC.',
      'Ticket 58213 closed; request id 550e8400-e29b-41d4-a716-446655440000 retried 3 times.',
      'Q3 revenue grew 12.5% to $4,500,000 across 1,284 customers.',
    ];
    for (const text of texts) expect(strong(text, everything)).toEqual([]);
  });
});
