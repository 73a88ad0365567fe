// No module imports another that imports it back (helper rule, issue 14): this reads every
// crate's top-level modules, the `crate::X` paths each one names outside its tests, and finds
// the cycles among them. `cargo modules` would do it from rustc's own view, but it is a large
// install on a shared 2-core machine; the code here names modules only as `crate::X`, which a
// reading of the text finds (tests/module-cycles.test.mjs checks the reading).
//
// Known cycles are listed below, each with why it is still there. The check fails on a cycle
// not in the list AND on a listed cycle that no longer exists, so the list can only shrink.
//
//   node tests/module-cycles.mjs            checks both crates
//   node tests/module-cycles.mjs --graph    also prints every crate's edges

import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Each crate root, and the cycles it still has, written `a -> b -> a` from the smallest name. */
export const CRATES = [
  {
    name: 'kanka-link-core',
    root: 'src-tauri/core/src/lib.rs',
    // None since the store (store/: keychain items, record, lock, the unsaved pair) stands apart
    // from the engine. (The flows, connect.rs, refresh.rs and timer.rs, still reach one another
    // through methods on `Linker`, which no `use` names: this check does not see those.)
    allowed: [],
  },
  {
    name: 'kanka-link (kanka-link)',
    root: 'src-tauri/src/main.rs',
    allowed: [],
  },
  {
    name: 'kanka-link (kanka-link-window)',
    root: 'src-tauri/src/window.rs',
    allowed: [],
  },
];

const CHAR = /^'(\\.|[^\\']|\\u\{[0-9a-fA-F]+\})'/;

/** Comments and string literals out, so a path named in a doc comment or a message is no use. */
export function stripCommentsAndStrings(text) {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const two = text.slice(i, i + 2);
    if (two === '//') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (two === '/*') {
      let depth = 0;
      do {
        if (text.slice(i, i + 2) === '/*') { depth++; i += 2; }
        else if (text.slice(i, i + 2) === '*/') { depth--; i += 2; }
        else i++;
      } while (depth > 0 && i < text.length);
      out += ' ';
    } else if (/^r#*"/.test(text.slice(i, i + 8)) && !/\w/.test(text[i - 1] ?? '')) {
      const hashes = text.slice(i + 1).match(/^#*/)[0];
      const end = text.indexOf('"' + hashes, i + 2 + hashes.length);
      i = end < 0 ? text.length : end + 1 + hashes.length;
      out += '""';
    } else if (text[i] === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      out += '""';
    } else if (text[i] === "'" && CHAR.test(text.slice(i, i + 12))) {
      // A char literal, '"' among them (a lifetime has no closing quote).
      i += text.slice(i, i + 12).match(CHAR)[0].length;
      out += "' '";
    } else {
      out += text[i++];
    }
  }
  return out;
}

/** From `start` (at or before an item), the index just past the item: its `;` or its `{...}`. */
function itemEnd(text, start) {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ';' && depth === 0) return i + 1;
    else if (c === '{' && depth === 0) {
      let braces = 0;
      for (let j = i; j < text.length; j++) {
        if (text[j] === '{') braces++;
        else if (text[j] === '}' && --braces === 0) return j + 1;
      }
      return text.length;
    }
  }
  return text.length;
}

/** Items under `#[cfg(test)]` (or `#[cfg(all(test, ...))]`) out: what tests use is no import. */
export function withoutTests(text) {
  const attribute = /#\[cfg\((?:test|all\(\s*test\b[^\]]*)\)\]/g;
  let out = '';
  let from = 0;
  for (let match; (match = attribute.exec(text));) {
    if (match.index < from) continue;
    out += text.slice(from, match.index);
    from = itemEnd(text, match.index + match[0].length);
    attribute.lastIndex = from;
  }
  return out + text.slice(from);
}

/** The `mod name;` declarations of a file (inline `mod name { }` bodies are in the file). */
function declaredModules(text) {
  const found = [];
  const declaration = /((?:#\[[^\]]*\]\s*)*)(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;/g;
  for (let match; (match = declaration.exec(text));) {
    const path = match[1].match(/#\[path\s*=\s*"([^"]+)"\]/);
    found.push({ name: match[2], path: path?.[1] });
  }
  return found;
}

/** The text of a module and of its non-test children, without comments, strings or tests. */
function moduleText(file) {
  const text = withoutTests(stripCommentsAndStrings(readFileSync(file, 'utf8')));
  const raw = withoutTests(readFileSync(file, 'utf8').replace(/\/\/.*$/gm, ''));
  const own = file.endsWith('mod.rs') ? dirname(file) : file.replace(/\.rs$/, '');
  let all = text;
  for (const child of declaredModules(raw)) {
    const candidates = child.path
      ? [join(dirname(file), child.path)]
      : [join(own, `${child.name}.rs`), join(own, child.name, 'mod.rs')];
    const found = candidates.find(existsSync);
    if (found) all += '\n' + moduleText(found);
  }
  return all;
}

/** The names a crate root re-exports (`pub use module::{A, B}`), so `crate::A` counts as `module`. */
function reexports(rootText, modules) {
  const names = new Map();
  const reexport = /pub\s+use\s+(\w+)::(\{[^}]*\}|\w+)\s*;/g;
  for (let match; (match = reexport.exec(rootText));) {
    if (!modules.includes(match[1])) continue;
    for (const name of match[2].replace(/[{}]/g, '').split(',')) {
      const last = name.trim().split(/\s+as\s+/).pop();
      if (last) names.set(last, match[1]);
    }
  }
  return names;
}

/** The top-level modules a module's text names: `crate::X`, `crate::{X, Y::Z}`, re-exports. */
export function referencedModules(text, modules, names = new Map()) {
  const found = new Set();
  const add = (name) => {
    const module = modules.includes(name) ? name : names.get(name);
    if (module) found.add(module);
  };
  const path = /\bcrate\s*::\s*(\w+|\{)/g;
  for (let match; (match = path.exec(text));) {
    if (match[1] !== '{') { add(match[1]); continue; }
    // A group: the first name of each of its top-level entries.
    let depth = 0;
    let entry = '';
    for (let i = match.index + match[0].length; i < text.length; i++) {
      const c = text[i];
      if ((c === ',' || c === '}') && depth === 0) {
        const first = entry.trim().match(/^\w+/);
        if (first) add(first[0]);
        entry = '';
        if (c === '}') break;
        continue;
      }
      if (c === '{') depth++;
      if (c === '}') depth--;
      entry += c;
    }
  }
  return found;
}

/** Each top-level module of the crate whose root file is `rootFile`, and the modules it names. */
export function moduleGraph(rootFile) {
  const rootRaw = readFileSync(rootFile, 'utf8').replace(/\/\/.*$/gm, '');
  const dir = dirname(rootFile);
  const declared = declaredModules(withoutTests(rootRaw));
  const modules = declared.map((m) => m.name);
  const names = reexports(rootRaw, modules);
  const graph = new Map();
  for (const { name, path } of declared) {
    const candidates = path ? [join(dir, path)] : [join(dir, `${name}.rs`), join(dir, name, 'mod.rs')];
    const file = candidates.find(existsSync);
    if (!file) throw new Error(`${rootFile}: no file for module ${name}`);
    const uses = referencedModules(moduleText(file), modules, names);
    uses.delete(name);
    graph.set(name, [...uses].sort());
  }
  return graph;
}

/** Every elementary cycle, each once, written from its smallest name (Johnson's idea, simply). */
export function cycles(graph) {
  const found = new Set();
  const nodes = [...graph.keys()].sort();
  for (const start of nodes) {
    // Only cycles whose smallest node is `start`, so each is found once.
    const walk = (node, path, seen) => {
      for (const next of graph.get(node) ?? []) {
        if (next === start) found.add([...path, start].join(' -> '));
        else if (next > start && !seen.has(next)) {
          seen.add(next);
          walk(next, [...path, next], seen);
          seen.delete(next);
        }
      }
    };
    walk(start, [start], new Set([start]));
  }
  return [...found].sort();
}

/** What is wrong with a crate's cycles against its list: new ones, and listed ones now gone. */
export function judge(found, allowed) {
  const problems = [];
  for (const cycle of found) {
    if (!allowed.includes(cycle)) problems.push(`new cycle: ${cycle}`);
  }
  for (const cycle of allowed) {
    if (!found.includes(cycle)) problems.push(`listed cycle no longer exists (take it off the list): ${cycle}`);
  }
  return problems;
}

function main() {
  const printGraph = process.argv.includes('--graph');
  let failed = false;
  for (const crate of CRATES) {
    const graph = moduleGraph(join(root, crate.root));
    if (printGraph) {
      console.log(`${crate.name}:`);
      for (const [module, uses] of graph) console.log(`  ${module} -> ${uses.join(', ')}`);
    }
    const found = cycles(graph);
    const problems = judge(found, crate.allowed);
    for (const problem of problems) console.error(`${crate.name} (${crate.root}): ${problem}`);
    failed ||= problems.length > 0;
    console.log(`${crate.name}: ${graph.size} modules, ${found.length} known cycles, ${problems.length} problems`);
  }
  if (failed) {
    console.error(
      'Module cycles changed: break a new cycle (move the shared item to a leaf module), ' +
        'or take a gone one off the list in tests/module-cycles.mjs.',
    );
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
