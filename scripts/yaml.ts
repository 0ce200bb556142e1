/**
 * YAML in and out, the way Kubernetes tools read it.
 *
 * Out: kubectl, Crossplane's package manager and `crossplane` read YAML with Go libraries that follow
 * YAML 1.1, where unquoted `yes`, `no`, `on`, `off`, `y`, `n`, `0777` or `12:30` are booleans or
 * numbers; the yaml library writes YAML 1.2 by default and leaves such strings unquoted, so a string
 * field "on" reached kubectl as the boolean true. Written for YAML 1.1, they are quoted, and the text
 * reads the same under 1.2.
 *
 * In: every error the parser finds is fatal, with its file and line: duplicate keys (two XRs pasted
 * into one file without `---` are one object with every key twice), tabs, unclosed flow collections.
 * Without this, the last duplicate key silently won and a YAML error became a confusing schema error.
 */
import { readFileSync } from "node:fs";
import { parseAllDocuments, stringify } from "yaml";

export function toYaml(o: unknown): string {
  return stringify(o, { lineWidth: 0, version: "1.1" });
}

export class YamlError extends Error {}

/** Every document of `text`, as plain values (empty documents left out); throws YamlError naming `file`, line and column. */
export function parseYamlDocuments(text: string, file: string): unknown[] {
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
  // A stream that is not YAML at all comes back as an EmptyStream with its errors.
  const list = Array.isArray(docs) ? docs : [docs];
  const problems = list.flatMap((d) => [...d.errors, ...d.warnings]).map((e) => {
    const at = e.linePos?.[0];
    const first = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    return `${file}${at ? `:${at.line}:${at.col}` : ""}: ${first}`;
  });
  if (problems.length) throw new YamlError(`${problems.join("\n")}\n(fix the YAML above; each XR or object in one file starts with a line ---)`);
  return list.map((d) => d.toJS() as unknown).filter((o) => o !== null && o !== undefined);
}

export function readYamlFile(file: string): unknown[] {
  return parseYamlDocuments(readFileSync(file, "utf8"), file);
}
