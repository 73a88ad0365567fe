// Loads the UI's TypeScript modules in node: each file of ui/src is transpiled (types erased,
// nothing else changed) into a temporary folder and imported from there. Type checking is
// `npm run build:ui`'s job. Only DOM-free modules can be imported this way.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const sources = join(root, "ui", "src");

let folder;

function transpileAll() {
  folder = mkdtempSync(join(tmpdir(), "kanka-link-ui-"));
  process.on("exit", () => rmSync(folder, { recursive: true, force: true }));
  for (const name of readdirSync(sources).filter((n) => n.endsWith(".ts"))) {
    const { outputText } = ts.transpileModule(readFileSync(join(sources, name), "utf8"), {
      fileName: name,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
        rewriteRelativeImportExtensions: true,
      },
    });
    writeFileSync(join(folder, name.replace(/\.ts$/, ".js")), outputText);
  }
}

/** Values the Rust code makes (a settings view, errors), written by `npm run contract` beside the
 * generated types and checked by `npm test` like them: the tests feed them to the page's code. */
export const samples = JSON.parse(readFileSync(join(sources, "generated", "samples.json"), "utf8"));

/** Imports ui/src/<name>.ts. */
export function importUi(name) {
  if (!folder) transpileAll();
  return import(pathToFileURL(join(folder, `${name}.js`)).href);
}
