// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', '.cache/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The domain is pure: no I/O, no clock, no randomness. Anything that talks to the world lives elsewhere.
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '../infrastructure/*',
                '../../infrastructure/*',
                '../command-api/*',
                '../query-api/*',
                '../projections/*',
              ],
              message: 'domain/ imports nothing outside domain/.',
            },
          ],
          paths: [
            'pg',
            'kysely',
            'express',
            'ioredis',
            'kafkajs',
            '@eventstore/db-client',
            'fs',
            'node:fs',
            'node:fs/promises',
            'node:net',
            'node:http',
            'node:child_process',
            'node:crypto',
            'crypto',
          ].map((name) => ({ name, message: 'domain/ is pure: pass I/O, clocks and randomness in.' })),
        },
      ],
    },
  },
  {
    // Infrastructure is imported by the apps, never the other way round.
    files: ['infrastructure/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/command-api/*', '**/query-api/*', '**/projections/*'],
              message: 'infrastructure/ must not import the apps.',
            },
          ],
        },
      ],
    },
  },
);
