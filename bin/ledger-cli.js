#!/usr/bin/env node
// The `ledger` command (package.json bin): registers tsx, which runs the project's TypeScript, then the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
