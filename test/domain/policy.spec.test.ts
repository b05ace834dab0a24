import { describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../../domain/frameworks/index.js';
import { generatePolicy } from '../../domain/policies/generator.js';
import { policyDecider, type PolicyEvent } from '../../domain/policies/policy.js';
import { given } from '../support/decider-spec.js';

const generator = { name: 'template', version: '1', inputHash: 'in-1' };
const generated: PolicyEvent = {
  type: 'PolicyGenerated',
  data: {
    policyId: 'p-1',
    clientId: 'c-1',
    frameworkId: 'hipaa',
    catalogVersion: '2.0.0',
    title: 'T',
    generator,
    version: 1,
    content: '# v1',
    contentHash: 'h1',
    authorId: 'author',
  },
};
const submitted: PolicyEvent = { type: 'PolicySubmitted', data: { version: 1, submittedBy: 'author', comment: null } };
const approved: PolicyEvent = {
  type: 'PolicyApproved',
  data: { version: 1, contentHash: 'h1', approvedBy: 'reviewer', comment: null },
};

describe('policy lifecycle', () => {
  it('is generated as a first draft', () => {
    given(policyDecider)
      .when({
        type: 'GeneratePolicy',
        policyId: 'p-1',
        clientId: 'c-1',
        frameworkId: 'hipaa',
        catalogVersion: '2.0.0',
        title: 'T',
        content: '# v1',
        contentHash: 'h1',
        generator,
        actorId: 'author',
      })
      .then([generated]);
  });

  it('is approved by someone other than its author, with the hash of what was approved', () => {
    given(policyDecider, [generated])
      .when({ type: 'SubmitPolicy', actorId: 'author', comment: null })
      .then([submitted]);
    given(policyDecider, [generated, submitted])
      .when({ type: 'ApprovePolicy', actorId: 'author', comment: null })
      .thenFails('forbidden');
    given(policyDecider, [generated, submitted])
      .when({ type: 'ApprovePolicy', actorId: 'reviewer', comment: null })
      .then([approved]);
  });

  it('publishes only approved content: an edit after approval needs a new approval', () => {
    given(policyDecider, [generated, submitted, approved])
      .when({ type: 'PublishPolicy', actorId: 'reviewer', comment: null })
      .then([{ type: 'PolicyPublished', data: { version: 1, publishedBy: 'reviewer', comment: null } }]);
    const edited: PolicyEvent = {
      type: 'PolicyDraftEdited',
      data: { version: 2, content: '# v2', contentHash: 'h2', authorId: 'editor' },
    };
    given(policyDecider, [generated, submitted, approved])
      .when({ type: 'EditPolicy', content: '# v2', contentHash: 'h2', actorId: 'editor' })
      .then([edited]);
    given(policyDecider, [generated, submitted, approved, edited])
      .when({ type: 'PublishPolicy', actorId: 'reviewer', comment: null })
      .thenFails('conflict');
  });

  it('ignores an edit that only changes whitespace', () => {
    given(policyDecider, [generated])
      .when({ type: 'EditPolicy', content: '#   v1\n', contentHash: 'h1b', actorId: 'author' })
      .then([]);
  });

  it('refuses changes once retired', () => {
    const retired: PolicyEvent = { type: 'PolicyRetired', data: { retiredBy: 'reviewer' } };
    given(policyDecider, [generated]).when({ type: 'RetirePolicy', actorId: 'reviewer' }).then([retired]);
    given(policyDecider, [generated, retired])
      .when({ type: 'EditPolicy', content: 'x', contentHash: 'x', actorId: 'a' })
      .thenFails('gone');
    given(policyDecider).when({ type: 'SubmitPolicy', actorId: 'a', comment: null }).thenFails('not_found');
  });
});

describe('template policy generator', () => {
  const context = {
    name: 'Acme Clinic',
    industry: 'healthcare',
    size: '11-50',
    dataTypes: ['phi'],
    aiTools: ['ChatGPT Enterprise'],
    jurisdictions: ['US'],
  };

  it('is deterministic', () => {
    expect(generatePolicy(FRAMEWORKS.hipaa, context)).toEqual(generatePolicy(FRAMEWORKS.hipaa, context));
  });

  it('adds sections for the data and jurisdictions in the context, each tracing to requirement ids', () => {
    const hipaa = generatePolicy(FRAMEWORKS.hipaa, context);
    expect(hipaa.content).toContain('## 5. Protected health information');
    expect(hipaa.content).not.toContain('Personal data\n');
    expect(hipaa.content).toContain('- ChatGPT Enterprise');
    expect(hipaa.traces.incidents!.every((id) => id.startsWith('hipaa-'))).toBe(true);

    const gdpr = generatePolicy(FRAMEWORKS.gdpr, {
      ...context,
      dataTypes: ['pii'],
      jurisdictions: ['EU'],
      aiTools: [],
    });
    expect(gdpr.content).toContain('Personal data');
    expect(gdpr.content).not.toContain('Protected health information');
    expect(gdpr.content).toContain('No AI tool is approved yet');
    expect(gdpr.content).toMatch(/Traces to GDPR: .*Art\./);
  });

  it('cites each traced requirement as the framework does, with its title, keeping our ids in traces', () => {
    const hipaa = generatePolicy(FRAMEWORKS.hipaa, context);
    expect(hipaa.traces.incidents).toEqual(['hipaa-037', 'hipaa-038', 'hipaa-039', 'hipaa-040']);
    expect(hipaa.content).toContain(
      '> Traces to HIPAA Security Rule: §164.308(a)(6) (Determine the Goals of Incident Response; Develop and Deploy an Incident Response Team',
    );
    expect(hipaa.content).not.toMatch(/hipaa-\d{3}/);
    const nist = generatePolicy(FRAMEWORKS['nist-800-53'], context);
    expect(nist.content).toContain('AC-2 (Account Management), AC-2(1) (Automated System Account Management)');
    const gdpr = generatePolicy(FRAMEWORKS.gdpr, { ...context, jurisdictions: ['EU'] });
    expect(gdpr.content).toContain('Art. 33 (Personal data breaches are reported');
  });
});
