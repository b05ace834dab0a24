import type { FrameworkId } from '../frameworks/catalog.js';
import type { Scale } from './scoring.js';

/** The scale each framework's scores are given on: CSF 2.0 uses its 0–4 tiers, the others a percentage. */
export const SCALES: Record<FrameworkId, Scale> = {
  hipaa: { min: 0, max: 100 },
  gdpr: { min: 0, max: 100 },
  soc2: { min: 0, max: 100 },
  'nist-800-53': { min: 0, max: 100 },
  'nist-csf-2': { min: 0, max: 4 },
  'nist-ai-rmf': { min: 0, max: 100 },
};
