import { summaryGroup, type FrameworkCatalog } from './catalog.js';

/**
 * GDPR (Regulation (EU) 2016/679) obligations that a controller's compliance programme answers, summarised in our
 * own words with the article numbers as ids. Not the legal text: read the Regulation for that.
 */
const group = (id: string, title: string, children: Array<[id: string, title: string]>) =>
  summaryGroup(id, title, children, (article) => article.replace(/^Art\.(?=\d)/, 'Art. '));

export const gdpr: FrameworkCatalog = {
  id: 'gdpr',
  name: 'GDPR',
  version: '2016/679-summary-1',
  source: {
    title: 'Compliance Ledger summary of the General Data Protection Regulation',
    license: 'Apache-2.0 (our wording)',
    origin: 'compliance-ledger',
  },
  requirements: [
    group('principles', 'Principles and lawful processing', [
      [
        'Art.5',
        'Personal data is processed lawfully, fairly, transparently, for stated purposes, minimised, accurate, kept no longer than needed and secured',
      ],
      ['Art.5(2)', 'The organisation can demonstrate that it follows the principles (accountability)'],
      ['Art.6', 'Each processing activity has a documented lawful basis'],
      ['Art.7', 'Where consent is the basis, it is recorded, specific and as easy to withdraw as to give'],
      ['Art.9', 'Special categories (health, biometrics and others) are processed only under a listed exception'],
      ['Art.10', 'Data about convictions is processed only under official authority or specific law'],
    ]),
    group('rights', 'Rights of data subjects', [
      ['Art.12', 'Requests from data subjects are answered clearly and within one month'],
      [
        'Art.13-14',
        'People are told who processes their data, why, on what basis, for how long, and with whom it is shared',
      ],
      ['Art.15', 'People can obtain a copy of their data and information about its processing'],
      ['Art.16', 'Inaccurate data is corrected on request'],
      ['Art.17', 'Data is erased on request when no ground to keep it remains'],
      ['Art.18', 'Processing is restricted on request while accuracy or lawfulness is contested'],
      ['Art.20', 'Data provided by a person is handed over in a portable, machine-readable format'],
      ['Art.21', 'Objections to processing, including direct marketing, are honoured'],
      ['Art.22', 'Decisions with legal or similar effect are not made by automated means alone without safeguards'],
    ]),
    group('controller', 'Controller and processor obligations', [
      ['Art.24', 'Technical and organisational measures fit the risk, and are reviewed'],
      ['Art.25', 'Data protection is designed in, and the defaults collect and expose the least data'],
      ['Art.26', 'Joint controllers agree their respective responsibilities'],
      ['Art.28', 'Processors act only under a written contract with the required terms, and are vetted'],
      ['Art.30', 'A record of processing activities is kept up to date'],
      ['Art.32', 'Security of processing: encryption or pseudonymisation, resilience, restore, and regular testing'],
      ['Art.33', 'Personal data breaches are reported to the supervisory authority within 72 hours where required'],
      ['Art.34', 'People are told of a breach that is likely to put them at high risk'],
      [
        'Art.35',
        'A data protection impact assessment precedes high-risk processing, such as new AI uses of personal data',
      ],
      ['Art.36', 'The authority is consulted when an assessment shows high residual risk'],
      ['Art.37-39', 'A data protection officer is appointed where required, independent and involved'],
    ]),
    group('transfers', 'Transfers outside the EEA', [
      ['Art.44-45', 'Personal data leaves the EEA only to adequate countries or under the safeguards of Chapter V'],
      ['Art.46', 'Transfers without adequacy rely on appropriate safeguards such as standard contractual clauses'],
      ['Art.49', 'Derogations for specific situations are used only as the exception they are'],
    ]),
  ],
};
