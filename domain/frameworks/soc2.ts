import { summaryGroup, type FrameworkCatalog } from './catalog.js';

/**
 * SOC 2 Trust Services Criteria, by their public ids, described in our own words. The AICPA's criteria text is
 * copyrighted and not reproduced here.
 */
const group = summaryGroup;

export const soc2: FrameworkCatalog = {
  id: 'soc2',
  name: 'SOC 2 (Trust Services Criteria)',
  version: 'tsc-2017-summary-1',
  source: {
    title: 'Compliance Ledger summary of the SOC 2 Trust Services Criteria (ids only from the AICPA)',
    license: 'Apache-2.0 (our wording)',
    origin: 'compliance-ledger',
  },
  requirements: [
    group('CC1', 'Control environment', [
      ['CC1.1', 'Leadership shows a commitment to integrity and ethical values'],
      ['CC1.2', 'The board oversees internal control independently of management'],
      ['CC1.3', 'Structures, reporting lines and responsibilities are defined'],
      ['CC1.4', 'Competent people are hired, developed and kept'],
      ['CC1.5', 'People are held accountable for their control responsibilities'],
    ]),
    group('CC2', 'Communication and information', [
      ['CC2.1', 'Relevant, quality information supports internal control'],
      ['CC2.2', 'Control objectives and responsibilities are communicated internally'],
      ['CC2.3', 'Matters affecting control are communicated with outside parties'],
    ]),
    group('CC3', 'Risk assessment', [
      ['CC3.1', 'Objectives are specific enough to identify the risks to them'],
      ['CC3.2', 'Risks are identified and analysed'],
      ['CC3.3', 'The potential for fraud is considered'],
      ['CC3.4', 'Changes that could affect controls are identified and assessed'],
    ]),
    group('CC4', 'Monitoring activities', [
      ['CC4.1', 'Controls are evaluated on an ongoing or periodic basis'],
      ['CC4.2', 'Deficiencies are communicated and corrected in time'],
    ]),
    group('CC5', 'Control activities', [
      ['CC5.1', 'Control activities reduce risks to acceptable levels'],
      ['CC5.2', 'General controls over technology are in place'],
      ['CC5.3', 'Policies say what is expected and procedures put them into action'],
    ]),
    group('CC6', 'Logical and physical access', [
      ['CC6.1', 'Access to information assets is restricted by logical security measures'],
      ['CC6.2', 'Users are registered and authorised before access is granted'],
      ['CC6.3', 'Access is granted, changed and removed on the basis of roles and least privilege'],
      ['CC6.4', 'Physical access to facilities and assets is restricted'],
      ['CC6.5', 'Assets are disposed of securely'],
      ['CC6.6', 'Threats from outside the system boundary are guarded against'],
      ['CC6.7', 'Data in transit and on removable media is protected'],
      ['CC6.8', 'Unauthorised or malicious software is prevented or detected'],
    ]),
    group('CC7', 'System operations', [
      ['CC7.1', 'Configuration changes and new vulnerabilities are detected'],
      ['CC7.2', 'Systems are monitored for anomalies that indicate attacks or errors'],
      ['CC7.3', 'Security events are evaluated to decide whether they are incidents'],
      ['CC7.4', 'Incidents are responded to with a defined programme'],
      ['CC7.5', 'Recovery from incidents is planned and carried out'],
    ]),
    group('CC8', 'Change management', [
      ['CC8.1', 'Changes to systems are authorised, designed, tested, approved and documented'],
    ]),
    group('CC9', 'Risk mitigation', [
      ['CC9.1', 'Business disruption risks are mitigated'],
      ['CC9.2', 'Risks from vendors and business partners are assessed and managed'],
    ]),
    group('A1', 'Availability', [
      ['A1.1', 'Capacity is monitored and planned'],
      ['A1.2', 'Backups, recovery infrastructure and environmental protections are in place'],
      ['A1.3', 'Recovery plans are tested'],
    ]),
    group('C1', 'Confidentiality', [
      ['C1.1', 'Confidential information is identified and protected'],
      ['C1.2', 'Confidential information is disposed of when no longer needed'],
    ]),
    group('PI1', 'Processing integrity', [
      ['PI1.1', 'Processing definitions and specifications are kept'],
      ['PI1.2', 'Inputs are complete and accurate'],
      ['PI1.3', 'Processing is complete, accurate and timely'],
      ['PI1.4', 'Outputs are complete, accurate and distributed as intended'],
      ['PI1.5', 'Stored data is complete and accurate'],
    ]),
    group('P', 'Privacy', [
      ['P1.1', 'People are told how their personal information is handled'],
      ['P2.1', 'Choices and consent are offered and recorded'],
      ['P3.1', 'Personal information is collected only for the stated purposes'],
      ['P4.1', 'Personal information is used, kept and disposed of as stated'],
      ['P5.1', 'People can access and correct their personal information'],
      ['P6.1', 'Disclosures to third parties are authorised and recorded'],
      ['P7.1', 'Personal information is kept accurate and complete'],
      ['P8.1', 'Privacy inquiries, complaints and disputes are handled'],
    ]),
  ],
};
