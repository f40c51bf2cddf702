// A parse cache for dynalite's expression parsers (ConditionExpression, UpdateExpression, …), loaded by
// local/emulator-child.js before dynalite. dynalite runs a PEG parser over every expression of every request; the
// idempotency records send the same few expressions with new values each time (Powertools' conditional PutItem
// and its UpdateItem), and parsing was ~30 % of the dynalite process's CPU under figure 4's load
// (BENCHMARKS.md, "Where the CPU goes").
//
// Same answers as the parser, by construction:
// - the key is the expression, the attribute names, whether it is a key condition, and each attribute value's
//   name and type (the parser checks types, never contents, except in BETWEEN and attribute_type, which are never
//   cached);
// - a parse is cached only when it succeeded; a hit returns a fresh tree with this request's value objects where
//   the first request's were (the parser puts value objects in the tree as they are, and nothing else of them);
// - the names and values a parse uses are recorded against a full set, so "unused in expressions" comes out as
//   the parser would have said it whatever ran before on the same request.
// test/local/dynalite-parse-cache.test.ts compares a patched and an unpatched dynalite request by request.
'use strict';

const NOT_CACHED = /\bbetween\b|attribute_type/i;
const MAX_ENTRIES = 1000;

function typeSignature(attrVals) {
  return Object.keys(attrVals || {})
    .sort()
    .map((k) => `${k}:${Object.keys(attrVals[k] || {}).join(',')}`)
    .join(';');
}

/** A copy of `tree` with every value object of `valueNames` replaced by { __attrVal: name }. */
function template(tree, valueNames) {
  if (tree === null || typeof tree !== 'object') return tree;
  const name = valueNames.get(tree);
  if (name !== undefined) return { __attrVal: name };
  if (Array.isArray(tree)) return tree.map((x) => template(x, valueNames));
  const out = {};
  for (const k of Object.keys(tree)) out[k] = template(tree[k], valueNames);
  return out;
}

/** A fresh tree from a template, with this request's value objects. */
function materialize(t, attrVals) {
  if (t === null || typeof t !== 'object') return t;
  if (Array.isArray(t)) return t.map((x) => materialize(x, attrVals));
  if (typeof t.__attrVal === 'string' && Object.keys(t).length === 1) return attrVals[t.__attrVal];
  const out = {};
  for (const k of Object.keys(t)) out[k] = materialize(t[k], attrVals);
  return out;
}

function cached(parser) {
  const parse = parser.parse;
  const cache = new Map();
  const stats = { hits: 0, misses: 0, uncached: 0 };
  parser.parse = function cachedParse(input, options) {
    const ctx = options?.context;
    if (!ctx || typeof input !== 'string' || NOT_CACHED.test(input)) {
      stats.uncached++;
      return parse.call(this, input, options);
    }
    const attrNames = ctx.attrNames || {};
    const attrVals = ctx.attrVals || {};
    const key = `${ctx.isKeyCondition ? 'K' : ''}\u0000${input}\u0000${JSON.stringify(attrNames)}\u0000${typeSignature(attrVals)}`;
    let entry = cache.get(key);
    if (entry === undefined) {
      stats.misses++;
      // parse against full "unused" sets: what it deletes is what the expression uses
      const unusedAttrNames = Object.fromEntries(Object.keys(attrNames).map((k) => [k, true]));
      const unusedAttrVals = Object.fromEntries(Object.keys(attrVals).map((k) => [k, true]));
      const tree = parse.call(this, input, { ...options, context: { ...ctx, unusedAttrNames, unusedAttrVals } });
      if (tree === null || typeof tree !== 'object') return tree; // not a tree: leave it to the parser each time
      const valueNames = new Map(Object.keys(attrVals).map((k) => [attrVals[k], k]));
      entry = {
        template: template(tree, valueNames),
        usedNames: Object.keys(attrNames).filter((k) => !(k in unusedAttrNames)),
        usedVals: Object.keys(attrVals).filter((k) => !(k in unusedAttrVals)),
      };
      if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value);
      cache.set(key, entry);
    } else {
      stats.hits++;
    }
    if (ctx.unusedAttrNames) for (const k of entry.usedNames) delete ctx.unusedAttrNames[k];
    if (ctx.unusedAttrVals) for (const k of entry.usedVals) delete ctx.unusedAttrVals[k];
    return materialize(entry.template, attrVals);
  };
  return stats;
}

/** Wraps dynalite's expression parsers (its modules are shared through require's cache); returns hit counters. */
function installDynaliteParseCache() {
  const stats = {};
  for (const name of ['conditionParser', 'updateParser', 'projectionParser']) {
    const parser = require(`dynalite/db/${name}`);
    if (typeof parser.parse !== 'function')
      throw new Error(`dynalite/db/${name} has no parse(): dynalite changed, update local/dynalite-parse-cache.js`);
    stats[name] = cached(parser);
  }
  return stats;
}

module.exports = { installDynaliteParseCache };
