// Validates AsyncAPI documents with the official parser (@asyncapi/parser), as CI does.
// Reads a JSON array of documents on stdin; prints one JSON array of results: for each document,
// its diagnostics of severity error (0) or warning (1), as {severity, code, message, path}.
import { Parser } from "@asyncapi/parser";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const documents = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const parser = new Parser();
const results = [];
for (const document of documents) {
  const { document: parsed, diagnostics } = await parser.parse(JSON.stringify(document));
  results.push({
    parsed: parsed !== undefined,
    diagnostics: diagnostics
      .filter((d) => d.severity <= 1)
      .map((d) => ({ severity: d.severity, code: String(d.code), message: d.message, path: d.path })),
  });
}
process.stdout.write(JSON.stringify(results));
