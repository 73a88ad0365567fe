// The reading tests/module-cycles.mjs relies on: which `crate::X` paths count, which do not
// (comments, strings, tests), and that a cycle is found, named once, and judged against the list.
import test from 'node:test';
import assert from 'node:assert/strict';

import { cycles, judge, referencedModules, stripCommentsAndStrings, withoutTests } from './module-cycles.mjs';

const MODULES = ['config', 'error', 'files', 'linker'];
const read = (text) => [...referencedModules(withoutTests(stripCommentsAndStrings(text)), MODULES)].sort();

test('paths, groups and re-exported names count', () => {
  assert.deepEqual(read('use crate::config::Config;\nfn f() { crate::files::write(); }'), ['config', 'files']);
  assert.deepEqual(read('use crate::{error::{Error, Result}, linker::Linker};'), ['error', 'linker']);
  const names = new Map([['Error', 'error']]);
  assert.deepEqual([...referencedModules('fn f() -> crate::Error {}', MODULES, names)], ['error']);
});

test('comments, strings and test items do not count', () => {
  const text = `
    //! See [\`crate::linker\`].
    /* crate::files */
    const A: &str = "crate::config";
    const B: &str = r#"crate::config"#;
    fn lifetime<'a>(x: &'a str) -> [char; 3] { ['"', '\\'', '\\u{22}'] }
    #[cfg(test)]
    mod tests { use crate::linker::Linker; }
    #[cfg(all(test, target_os = "linux"))]
    fn only_in_tests() { crate::files::write(); }
    #[cfg(not(test))]
    fn kept() { crate::error::x(); }`;
  assert.deepEqual(read(text), ['error']);
});

test('each cycle is named once, from its smallest module', () => {
  const graph = new Map([
    ['config', ['error']],
    ['error', ['config', 'files']],
    ['files', ['error']],
    ['linker', ['config']],
  ]);
  assert.deepEqual(cycles(graph), ['config -> error -> config', 'error -> files -> error']);
  assert.deepEqual(cycles(new Map([['a', ['b']], ['b', []]])), []);
});

test('a new cycle and a listed cycle that is gone both fail', () => {
  assert.deepEqual(judge(['a -> b -> a'], ['a -> b -> a']), []);
  assert.deepEqual(judge(['a -> b -> a', 'c -> d -> c'], ['a -> b -> a']), ['new cycle: c -> d -> c']);
  assert.match(judge([], ['a -> b -> a'])[0], /no longer exists/);
});
