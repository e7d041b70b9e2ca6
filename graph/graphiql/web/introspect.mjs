// Writes the introspection result of an SDL file, for the stub server of the
// browser check: node introspect.mjs ../internal/browsercheck/schema.graphql \
//   ../internal/browsercheck/introspection.json
import { buildSchema, graphqlSync, getIntrospectionQuery } from 'graphql';
import fs from 'node:fs';

const [sdlFile, outFile] = process.argv.slice(2);
const res = graphqlSync({
  schema: buildSchema(fs.readFileSync(sdlFile, 'utf8')),
  source: getIntrospectionQuery(),
});
if (res.errors) throw new Error(JSON.stringify(res.errors));
fs.writeFileSync(outFile, JSON.stringify(res) + '\n');
