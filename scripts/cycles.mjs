#!/usr/bin/env node
// Lists the import cycles (strongly connected components) among src/ modules.
// Type-only imports (`import type`, `export type`) are skipped: they vanish at runtime and are the
// sanctioned way for lower modules to name the broker's core interface.
// Usage: node scripts/cycles.mjs [dir...]   (default: src)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const withTypes = process.argv.includes('--types');
const roots = process.argv.slice(2).filter((a) => a !== '--types');
const dirs = roots.length > 0 ? roots : ['src'];
const files = [];
function walk(d) {
  for (const name of readdirSync(d)) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) files.push(resolve(p));
  }
}
for (const d of dirs) walk(d);
const set = new Set(files);
const importRe = /^\s*(import|export)\s+(type\s+)?([^'";]*?\bfrom\s+)?['"]([^'"]+)['"]/gm;
const graph = new Map();
for (const f of files) {
  const src = readFileSync(f, 'utf8');
  const edges = [];
  for (const m of src.matchAll(importRe)) {
    if (m[2] && !withTypes) continue; // type-only
    const spec = m[4];
    if (!spec.startsWith('.')) continue;
    // `import { type A, type B } from` is also type-only
    if (m[3] && /^\{[^}]*\}/.test(m[3].trim())) {
      const inner = m[3]
        .trim()
        .replace(/\s*from\s*$/, '')
        .slice(1, -1);
      const names = inner
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (!withTypes && names.length > 0 && names.every((n) => n.startsWith('type '))) continue;
    }
    const target = resolve(dirname(f), spec.replace(/\.js$/, '.ts'));
    if (set.has(target)) edges.push(target);
  }
  graph.set(f, edges);
}
// Tarjan's SCC
let index = 0;
const idx = new Map();
const low = new Map();
const stack = [];
const on = new Set();
const sccs = [];
function strong(v) {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  on.add(v);
  for (const w of graph.get(v)) {
    if (!idx.has(w)) {
      strong(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const c = [];
    let w;
    do {
      w = stack.pop();
      on.delete(w);
      c.push(w);
    } while (w !== v);
    if (c.length > 1) sccs.push(c);
  }
}
for (const f of files) if (!idx.has(f)) strong(f);
sccs.sort((a, b) => b.length - a.length);
for (const c of sccs) {
  console.log(`cycle of ${c.length}:`);
  for (const f of c.map((x) => relative(process.cwd(), x)).sort()) console.log(`  ${f}`);
}
if (sccs.length === 0) console.log('no import cycles');
process.exitCode = sccs.length === 0 ? 0 : 1;
