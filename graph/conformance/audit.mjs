// Audits a GraphQL endpoint for GraphQL-over-HTTP conformance with the
// graphql-http package's server audits; exits non-zero if a MUST fails.
import { auditServer } from 'graphql-http';

const url = process.argv[2] ?? 'http://127.0.0.1:18181/query';
const results = await auditServer({ url });
let failed = 0;
for (const r of results) {
  if (r.status !== 'ok') console.log(r.status, r.id, r.name, '-', r.reason);
  if (r.status === 'error') failed++;
}
console.log(`${results.filter((r) => r.status === 'ok').length} passed, ${failed} failed (of ${results.length} audits)`);
process.exit(failed ? 1 : 0);
