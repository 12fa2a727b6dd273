// Report: every compose fixture (test/fixtures/compose/*) through import compose (drops allowed, as with
// --allow-drop), the manifest loader (validate) and podman 5.4.2's Quadlet generator in dry-run. Prints one table
// and the totals; the hostile-* fixtures are expected to stop at import.
// Usage: node bench/import.mjs  (builds dist/ first when missing)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(join(repo, 'dist/cli/main.js'))) execFileSync('npm', ['run', 'build'], { cwd: repo, stdio: 'inherit' });

const { importCompose } = await import('../dist/import/project.js');
const { manifestYaml } = await import('../dist/import/manifest-yaml.js');
const { loadManifests } = await import('../dist/manifest/load.js');
const { compileCatalog } = await import('../dist/compile/compile-catalog.js');
const { renderUnits } = await import('../dist/render/render-units.js');
const { loadUnitTemplates } = await import('../dist/store/shipped/templates.js');
const { findComposeProjects, readComposeProject } = await import('../dist/store/node/compose-project.js');

const quadlet = execFileSync('sh', [join(repo, 'scripts/fetch-quadlet.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
const templates = await loadUnitTemplates();
const fixtures = join(repo, 'test/fixtures/compose');
const rows = [];
for (const project of await findComposeProjects(fixtures, repo)) {
  const input = await readComposeProject(project, [], {}, repo);
  const result = importCompose(input);
  const count = (level) => result.findings.filter((f) => f.level === level).length;
  const row = { name: project.dir.slice(fixtures.length + 1), services: '-', errors: count('error'), dropped: count('dropped'), notes: count('note'), imported: false, valid: false, generated: false, units: 0 };
  rows.push(row);
  if (!result.manifest) continue;
  row.imported = true;
  row.services = String(result.manifest.containers ? Object.keys(result.manifest.containers).length : 1);
  const loaded = loadManifests([{ file: `manifests/${result.manifest.id}.yaml`, text: manifestYaml(result.manifest, input.file) }]);
  if (loaded.problems.length > 0) continue;
  const compiled = compileCatalog(loaded.manifests, { podmanVersion: '5.4.2', scope: 'system' });
  if (compiled.problems.length > 0) continue;
  row.valid = true;
  const dir = mkdtempSync(join(tmpdir(), 'archy-import-report-'));
  try {
    const files = renderUnits(compiled.units, templates);
    for (const f of files) writeFileSync(join(dir, f.name), f.content);
    const gen = spawnSync(quadlet, ['-dryrun'], { env: { ...process.env, QUADLET_UNIT_DIRS: dir }, encoding: 'utf8' });
    const complaints = gen.stderr.split('\n').filter((l) => l.trim() && !l.includes('Loading source unit file'));
    row.units = files.length;
    row.generated = gen.status === 0 && complaints.length === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const yes = (b) => (b ? 'yes' : 'no');
const pad = (s, n) => String(s).padEnd(n);
console.log(`import compose report: ${rows.length} compose projects in test/fixtures/compose (drops allowed)`);
console.log('| project               | containers | errors | dropped | notes | imports | validates | units | generator accepts |');
console.log('|-----------------------|------------|--------|---------|-------|---------|-----------|-------|-------------------|');
for (const r of rows) {
  console.log(`| ${pad(r.name, 21)} | ${pad(r.services, 10)} | ${pad(r.errors, 6)} | ${pad(r.dropped, 7)} | ${pad(r.notes, 5)} | ${pad(yes(r.imported), 7)} | ${pad(yes(r.valid), 9)} | ${pad(r.units, 5)} | ${pad(yes(r.generated), 17)} |`);
}
const total = (k) => rows.filter((r) => r[k]).length;
console.log(`| ${pad('total', 21)} | ${pad('', 10)} | ${pad('', 6)} | ${pad('', 7)} | ${pad('', 5)} | ${pad(`${total('imported')}/${rows.length}`, 7)} | ${pad(`${total('valid')}/${rows.length}`, 9)} | ${pad('', 5)} | ${pad(`${total('generated')}/${rows.length}`, 17)} |`);
// An app that imports but fails to validate or to generate is a defect of the importer: exit 1.
process.exitCode = rows.some((r) => r.imported && !(r.valid && r.generated)) ? 1 : 0;
