// README, CONTRIBUTING and docs/ say what the code has: every setting, every metric, every source
// file, and no link that leads nowhere. Each list is read from the code, not written down here.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { EnvSchema } from '../src/config.js';
import { buildTestApp } from './helpers/app.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The lines of `text` from the heading `title` up to the next heading of the same or a higher level. */
function section(text: string, title: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^#+ /.test(l) && l.replace(/^#+ /, '') === title);
  if (start === -1) return '';
  const level = (lines[start] as string).indexOf(' ');
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => /^#+ /.test(l) && l.indexOf(' ') <= level);
  return (end === -1 ? rest : rest.slice(0, end)).join('\n');
}

/** The backticked names in the first column of the markdown tables in `text`. */
function firstColumnNames(text: string): string[] {
  return [...text.matchAll(/^\| `([^`{]+)[`{]/gm)].map((m) => m[1] as string);
}

function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && keep(e.name))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

t.test('README is at most 300 lines', async (t) => {
  const lines = read('README.md').split('\n').length;
  t.ok(lines <= 300, `${lines} lines`);
});

t.test("the README's configuration table names every variable of the schema, and only those", async (t) => {
  const table = firstColumnNames(section(read('README.md'), 'Configuration'));
  const schema = Object.keys(EnvSchema.properties);
  t.ok(schema.length >= 40, `${schema.length} variables in the schema`);
  t.same(schema.filter((v) => !table.includes(v)), [], 'every variable in the table');
  t.same(table.filter((v) => !schema.includes(v)), [], 'no variable the schema does not have');
  const depth = firstColumnNames(section(read('docs/operations.md'), 'Configuration in depth'));
  t.same(schema.filter((v) => !depth.includes(v)), [], 'every variable in docs/operations.md too');
});

t.test('docs/operations.md names every metric the service registers, and only those', async (t) => {
  const h = await buildTestApp(t);
  const text = (await h.app.inject('/metrics')).body;
  const served = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string).filter((n) => !/^(process|nodejs)_/.test(n));
  t.ok(served.length >= 15, `${served.length} service metrics`);
  const ops = read('docs/operations.md');
  t.same(served.filter((n) => !new RegExp(`\`${escape(n)}[\`{]`).test(ops)), [], 'every one named');
  const listed = firstColumnNames(section(ops, 'Metrics').split('### ')[0] as string);
  t.same(listed.filter((n) => !served.includes(n)), [], 'the metrics table lists nothing that is not served');
});

t.test('docs/operations.md names every alert of deploy/prometheus/alerts.yml', async (t) => {
  const alerts = [...read('deploy/prometheus/alerts.yml').matchAll(/^\s*- alert: (\S+)/gm)].map((m) => m[1] as string);
  t.ok(alerts.length >= 5, `${alerts.length} alerts`);
  const ops = read('docs/operations.md');
  t.same(alerts.filter((a) => !ops.includes(`\`${a}\``)), [], 'every one named');
});

t.test('docs/architecture.md names every source file under src/, and none that is gone', async (t) => {
  const doc = read('docs/architecture.md');
  const files = filesUnder('src', (n) => n.endsWith('.ts'));
  t.ok(files.length >= 80, `${files.length} source files`);
  const named = (path: string): boolean => new RegExp(`(?<![\\w./-])${escape(path)}(?![\\w.-])`).test(doc);
  t.same(files.filter((f) => !named(f)), [], 'every file named by its path');
  const mentioned = [...doc.matchAll(/(?<![\w./-])(src\/[\w./-]+\.ts)\b/g)].map((m) => m[1] as string);
  t.same([...new Set(mentioned)].filter((f) => !existsSync(join(ROOT, f))), [], 'every path named exists');
  for (const dir of ['scripts', 'migrations/mysql', 'migrations/sqlite']) {
    const missing = filesUnder(dir, () => true).filter((f) => !doc.includes(f.split('/').pop() as string));
    t.same(missing, [], `every file of ${dir}/ named`);
  }
});

// GitHub's heading anchors: lower case, punctuation other than - and _ removed, spaces to hyphens.
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of withoutFences(markdown).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = (m[1] as string).toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function withoutFences(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '');
}

function withoutCode(markdown: string): string {
  return withoutFences(markdown).replace(/`[^`\n]*`/g, '');
}

t.test('every relative link in README, CONTRIBUTING and docs/ leads to a file (and heading) that exists', async (t) => {
  const docs = ['README.md', 'CONTRIBUTING.md', ...filesUnder('docs', (n) => n.endsWith('.md'))];
  t.ok(docs.length >= 8, `${docs.length} documents`);
  let links = 0;
  for (const file of docs) {
    const text = read(file);
    for (const m of withoutCode(text).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] as string;
      if (/^[a-z]+:/i.test(target)) continue;
      links++;
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const to = path === '' ? file : relative(ROOT, resolve(ROOT, dirname(file), path)).split('\\').join('/');
      t.ok(existsSync(join(ROOT, to)), `${file}: ${target}`);
      if (anchor !== undefined && to.endsWith('.md') && existsSync(join(ROOT, to))) {
        t.ok(anchors(read(to)).has(anchor), `${file}: ${target} (heading)`);
      }
    }
  }
  t.ok(links >= 30, `${links} relative links checked`);
});
