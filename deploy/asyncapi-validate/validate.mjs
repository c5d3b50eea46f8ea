// Validates an AsyncAPI document with the official parser (@asyncapi/parser: the JSON schema
// of the spec plus its Spectral rules). Usage: node validate.mjs FILE (or the document on
// stdin). Prints every diagnostic; exits 1 when any is an error or a warning.
import { readFileSync } from 'node:fs';
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';

const source = process.argv[2] ?? '/dev/stdin';
const text = readFileSync(source, 'utf8');
const { document, diagnostics } = await new Parser().parse(text, { source });
const severities = ['error', 'warning', 'info', 'hint'];
for (const d of diagnostics) {
  const where = d.path.join('/') || '(document)';
  console.log(`${severities[d.severity]} ${d.code} at ${where}: ${d.message}`);
}
const serious = diagnostics.filter(
  (d) => d.severity === DiagnosticSeverity.Error || d.severity === DiagnosticSeverity.Warning,
);
if (document === undefined || serious.length > 0) {
  console.log(`invalid: ${serious.length} errors and warnings`);
  process.exit(1);
}
console.log(`valid AsyncAPI ${document.version()}: ${document.channels().length} channels, ` +
  `${document.operations().length} operations, ${document.allMessages().length} messages`);
