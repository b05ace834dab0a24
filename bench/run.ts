/**
 * npm run bench -- <name> [...]: runs benchmarks. Each prints its figures next to a baseline measured in the same
 * run on the same machine, and the ratio between them; absolute numbers from different machines do not compare.
 */
const benchmarks: Record<string, () => Promise<void>> = {
  append: async () => (await import('./append.js')).run(),
  commands: async () => (await import('./commands.js')).run(),
  detect: async () => (await import('./detect.js')).run(),
  fanout: async () => (await import('./fanout.js')).run(),
  gateway: async () => (await import('./gateway.js')).run(),
  projections: async () => (await import('./projections.js')).run(),
};

const names = process.argv.slice(2);
const unknown = names.filter((name) => !(name in benchmarks));
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Available: ${Object.keys(benchmarks).join(', ')}`);
  process.exit(2);
}
for (const name of names.length > 0 ? names : Object.keys(benchmarks)) {
  console.log(`\n== ${name} ==`);
  await benchmarks[name]!();
}
