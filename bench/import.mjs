// Report: every compose fixture (test/fixtures/compose/*) through import compose, and every Quadlet fixture
// (test/fixtures/quadlet/*) through import quadlet (drops allowed, as with --allow-drop), then the manifest loader
// (validate) and podman 5.4.2's Quadlet generator in dry-run. Prints one table per importer and the totals; the
// hostile-* fixtures are expected to stop at import.
// Usage: node bench/import.mjs  (builds dist/ first when missing)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const { importQuadlet } = await import('../dist/import/quadlet-project.js');

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
  checkAndGenerate(row, [{ manifest: result.manifest, source: input.file }], 'compose');
}

/** Loads the manifests together (validate), compiles them for podman 5.4.2, renders and runs the generator over them. */
function checkAndGenerate(row, apps, command) {
  const loaded = loadManifests(apps.map((a) => ({ file: `manifests/${a.manifest.id}.yaml`, text: manifestYaml(a.manifest, a.source, command) })));
  if (loaded.problems.length > 0) return;
  const compiled = compileCatalog(loaded.manifests, { podmanVersion: '5.4.2', scope: 'system' });
  if (compiled.problems.length > 0) return;
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

const quadletFixtures = join(repo, 'test/fixtures/quadlet');
const quadletRows = [];
for (const name of readdirSync(quadletFixtures).sort()) {
  const dir = join(quadletFixtures, name);
  const files = readdirSync(dir).map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') }));
  const result = importQuadlet({ dir: `test/fixtures/quadlet/${name}`, absDir: dir, files, podmanVersion: '5.4.2', scope: 'system' });
  const count = (level) => result.findings.filter((f) => f.level === level).length;
  const containers = files.filter((f) => f.name.endsWith('.container')).length;
  const imported = result.apps.reduce((n, a) => n + (a.manifest.containers ? Object.keys(a.manifest.containers).length : 1), 0);
  const row = { name, services: `${imported}/${containers} in ${result.apps.length}`, errors: count('error'), dropped: count('dropped'), notes: count('note'), imported: result.apps.length > 0, valid: false, generated: false, units: 0 };
  quadletRows.push(row);
  if (row.imported) checkAndGenerate(row, result.apps.map((a) => ({ manifest: a.manifest, source: a.sources.join(', ') })), 'quadlet');
}

const yes = (b) => (b ? 'yes' : 'no');
const pad = (s, n) => String(s).padEnd(n);
const total = (list, k) => list.filter((r) => r[k]).length;
function table(title, first, second, list) {
  console.log(title);
  console.log(`| ${pad(first, 21)} | ${pad(second, 13)} | errors | dropped | notes | imports | validates | units | generator accepts |`);
  console.log('|-----------------------|---------------|--------|---------|-------|---------|-----------|-------|-------------------|');
  for (const r of list) {
    console.log(`| ${pad(r.name, 21)} | ${pad(r.services, 13)} | ${pad(r.errors, 6)} | ${pad(r.dropped, 7)} | ${pad(r.notes, 5)} | ${pad(yes(r.imported), 7)} | ${pad(yes(r.valid), 9)} | ${pad(r.units, 5)} | ${pad(yes(r.generated), 17)} |`);
  }
  console.log(`| ${pad('total', 21)} | ${pad('', 13)} | ${pad('', 6)} | ${pad('', 7)} | ${pad('', 5)} | ${pad(`${total(list, 'imported')}/${list.length}`, 7)} | ${pad(`${total(list, 'valid')}/${list.length}`, 9)} | ${pad('', 5)} | ${pad(`${total(list, 'generated')}/${list.length}`, 17)} |`);
}
table(`import compose report: ${rows.length} compose projects in test/fixtures/compose (drops allowed)`, 'project', 'containers', rows);
console.log('');
table(`import quadlet report: ${quadletRows.length} unit directories in test/fixtures/quadlet (drops allowed; containers: imported/.container files in apps)`, 'directory', 'containers', quadletRows);
// An app that imports but fails to validate or to generate is a defect of the importer: exit 1.
process.exitCode = [...rows, ...quadletRows].some((r) => r.imported && !(r.valid && r.generated)) ? 1 : 0;
