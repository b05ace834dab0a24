import { describe, expect, it } from 'vitest';
import { detect } from '../../../domain/prompt-analysis/detection/engine.js';
import { parseLabelled } from '../../fixtures/prompt-corpus.js';

/**
 * Names without a cue word, US street addresses and dates about a person, in sentences of the kind people send
 * (clinical notes, tickets, e-mails), marked as in the corpus ({{ENTITY|value}}). Each marked value must be found
 * exactly where it is written at score 0.5 or more; nothing else of the entities under test may be found.
 */
const UNDER_TEST = new Set(['PERSON', 'US_STREET_ADDRESS', 'DATE_TIME']);

function expectExactly(marked: string) {
  const { text, spans } = parseLabelled(marked);
  const found = detect(text)
    .filter((f) => f.score >= 0.5 && UNDER_TEST.has(f.entity))
    .map((f) => `${f.entity} ${text.slice(f.start, f.end)}`);
  expect(found).toEqual(
    spans.filter((s) => UNDER_TEST.has(s.entity)).map((s) => `${s.entity} ${text.slice(s.start, s.end)}`),
  );
}

describe("people's names without a cue word", () => {
  it.each([
    `Forward these lab results to {{PERSON|Maria Gonzalez}}.`,
    `cc: {{PERSON|Priya Raman}}, {{PERSON|Tom Becker}}`,
    `Lab results for {{PERSON|Nguyen, Linh}}: TSH 2.1, free T4 normal.`,
    `{{PERSON|Sandra}} called about her refill.`,
    `Dear {{PERSON|Olumide}}, thank you for your patience.`,
    `Hi {{PERSON|Grace}}, the invoice is attached.`,
    `Thanks, {{PERSON|Henrik}}!`,
    `{{PERSON|Joanna Wiśniewska}} emailed the consent form.`,
    `Spoke with {{PERSON|Sean O'Brien}} about the outage.`,
    `{{PERSON|Ana María Torres}} was discharged on oral antibiotics.`,
    `{{PERSON|Fatima Al-Sayed}}'s MRI is scheduled.`,
    `Escalated by {{PERSON|Tomasz Kowalczyk}} from the Warsaw team.`,
    `Wife ({{PERSON|Ingrid Olsen}}) is the emergency contact.`,
    `Best regards,\n{{PERSON|Lukas Schneider}}`,
    `Referred by {{PERSON|Mei Lin}} at the community clinic.`,
    `{{PERSON|Rahul Sharma}} and {{PERSON|Deepa Nair}} reviewed the contract.`,
    `Summary for {{PERSON|Ivan Petrov}}, 71, COPD.`,
    `Patient {{PERSON|Ahmed Khan}} reports chest pain.`,
  ])('finds %s', (marked) => expectExactly(marked));

  it.each([
    // Products and companies
    `Deploy the API to Microsoft Azure and log to Application Insights.`,
    `Her Apple Watch flagged an irregular rhythm.`,
    `Order the catering from Whole Foods.`,
    `Export the contacts from Salesforce to HubSpot.`,
    `The Mayo Clinic guidelines differ from the Cleveland Clinic ones.`,
    // Diseases and signs named after people
    `History of Parkinson disease and Crohn disease.`,
    `Rule out Hodgkin lymphoma; Graves disease is treated.`,
    `Early Alzheimer's disease, stable on donepezil.`,
    `Bell palsy, resolved. Down syndrome clinic follow-up.`,
    // Laws and frameworks
    `Does this meet HIPAA and Sarbanes-Oxley requirements?`,
    `The Affordable Care Act changed the plan rules.`,
    // Places, days and months
    `The team moved from Chicago to San Diego in January.`,
    `Clinics in Austin and Charlotte open on Monday.`,
    `Meet at Lincoln Center, then walk down Madison Avenue.`,
    `Will the Jackson Hole offsite happen in May?`,
    // Sentence-initial common words and title case
    `Please Review The Attached Document Before Friday.`,
    `Send the report to the Finance Team.`,
    `Dear Customer, your order has shipped.`,
    // Technical prose: a surname that names a product after "to", headings, hyphenated terms, dates in headers
    `Violations fan out to Kafka for integrators.`,
    `## Lua Scripting\n\nRun scripts on the server.`,
    `Streaming uses Server-Sent Events (SSE).`,
    `Date: Thu, 15 Nov 2012 13:52:00 GMT`,
  ])('finds no one in %s', (text) => expectExactly(text));
});

describe('US street addresses', () => {
  it.each([
    `Ship to {{US_STREET_ADDRESS|1420 Maple Avenue, Apt 3B, Columbus, OH}} 43215.`,
    `She lives at {{US_STREET_ADDRESS|77 Harbor View Dr}}.`,
    `Mail it to {{US_STREET_ADDRESS|300 N Main St Suite 210, Springfield, IL}} 62701.`,
    `Address: {{US_STREET_ADDRESS|9 Old Mill Rd #4}}`,
    `Home: {{US_STREET_ADDRESS|5102 W 38th Street, Indianapolis, IN}} 46254`,
    `Near {{US_STREET_ADDRESS|2500 Pennsylvania Ave NW}}.`,
    `Deliver to {{US_STREET_ADDRESS|18 Cedar Ln, Apt. 12, Austin, TX}}.`,
    `Billing address {{US_STREET_ADDRESS|12 Orchard Pkwy}}, second floor.`,
  ])('finds %s', (marked) => expectExactly(marked));

  it('keeps the ZIP code after an address as US_ZIP_CODE', () => {
    const text = 'Ship to 1420 Maple Avenue, Columbus, OH 43215.';
    const found = detect(text).filter((f) => f.score >= 0.5);
    expect(found.map((f) => [f.entity, text.slice(f.start, f.end)])).toEqual([
      ['US_STREET_ADDRESS', '1420 Maple Avenue, Columbus, OH'],
      ['US_ZIP_CODE', '43215'],
    ]);
  });

  it.each([
    `Take 2 tablets twice daily for 10 Days.`,
    `Three lanes closed on I-95 after the 2 Bridge inspections.`,
    `We bought 4 Park passes and 2 Garden tickets.`,
    `The top 10 Square Enix games.`,
    `Version 5 Way Forward: hire two analysts.`,
    `BP 128/82, HR 88, 3 refills left.`,
  ])('finds no address in %s', (text) => expectExactly(text));
});

describe('dates about a person', () => {
  it.each([
    `DOB {{DATE_TIME|5-May-2021}}, seen in clinic today.`,
    `Born {{DATE_TIME|May 5, 1984}} in Tucson.`,
    `Admitted {{DATE_TIME|21-May}} with a hip fracture.`,
    `DOB: {{DATE_TIME|05/05/1984}}`,
    `Discharged {{DATE_TIME|3-Jan-24}} to rehab.`,
    `Date of birth {{DATE_TIME|7 Sept 1958}}.`,
  ])('finds %s', (marked) => expectExactly(marked));

  it.each([`The May release adds dark mode.`, `The 21-May build is on staging.`])(
    'finds no date about a person in %s',
    (text) => expectExactly(text),
  );
});

describe('what is written like a name but names no one', () => {
  it.each([
    `steps:\n  - name: Checkout Code\n    uses: actions/checkout@v4\n  - name: Setup Node`,
    `tasks:\n  - name: Install packages\n    apt: { name: nginx }`,
    `Dr. Martens boots and Dr Pepper cans for the break room.`,
    `Mr. Rooter fixed the leak in the staff kitchen.`,
  ])('finds no person in %j', (text) => expectExactly(text));

  it('still takes a form field and a titled surname', () => {
    expectExactly(`Name: {{PERSON|John Smith}}\nReason for visit: follow-up`);
    expectExactly(`{{PERSON|Dr. Okafor}} reviewed the scan.`.replace('{{PERSON|Dr. Okafor}}', 'Dr. {{PERSON|Okafor}}'));
  });
});

describe('IP addresses that name no device', () => {
  it.each([
    [`app.listen(8080, '0.0.0.0')`, '0.0.0.0'],
    [`connect ECONNREFUSED 127.0.0.1:5432`, '127.0.0.1'],
    [`the service also listens on ::1 and 255.255.255.255 is the broadcast`, '::1'],
    [`multicast group 224.0.0.251 for mDNS`, '224.0.0.251'],
  ])('scores %j below any rule', (text) => {
    expect(detect(text).filter((f) => f.entity === 'IP_ADDRESS' && f.score >= 0.5)).toEqual([]);
  });

  it("still finds a client's public and private addresses", () => {
    const text = 'The user connected from 73.22.118.9 and the NAS is at 10.0.4.12.';
    expect(
      detect(text)
        .filter((f) => f.entity === 'IP_ADDRESS' && f.score >= 0.5)
        .map((f) => text.slice(f.start, f.end)),
    ).toEqual(['73.22.118.9', '10.0.4.12']);
  });
});
