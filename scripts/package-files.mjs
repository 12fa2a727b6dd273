// Files of the Debian package that are made from the program itself, for scripts/package.sh. APP_DIR is the staged
// program (what becomes /usr/share/archy-quadlet: compiled, with its production node modules).
//   node scripts/package-files.mjs man APP_DIR VERSION DATE OUT  archy-quadlet(1), from commander's help
//   node scripts/package-files.mjs completion APP_DIR OUT        bash completion, from the same command tree
//   node scripts/package-files.mjs copyright APP_DIR OUT         the machine-readable copyright file: packaging/copyright
//                                                                 and a paragraph per module in APP_DIR/node_modules
// The man page and the completion are generated from the command tree the staged program builds
// (APP_DIR/dist/cli/program.js), so a new command or option reaches them at the next package build.
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const [what, ...args] = process.argv.slice(2);
const repo = new URL('..', import.meta.url).pathname;

/** The program's commands as commander's help sees them: [{ path: ['import','compose'], cmd }], the top program first. */
async function commandTree(appDir) {
  const { buildProgram } = await import(join(appDir, 'dist/cli/program.js'));
  const program = await buildProgram(['node', 'archy-quadlet']);
  const help = program.createHelp();
  const out = [];
  const walk = (cmd, path) => {
    out.push({ path, cmd });
    for (const sub of help.visibleCommands(cmd)) if (sub.name() !== 'help') walk(sub, [...path, sub.name()]);
  };
  walk(program, []);
  return { program, help, commands: out };
}

// ---- man page ------------------------------------------------------------------------------------------------

/** Text for roff: backslashes escaped, no line may start with a control character. */
function roff(text) {
  return text
    .replace(/\\/g, '\\e')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

/** A term (option, command, path): hyphens are minus signs. */
function term(text) {
  return roff(text).replace(/-/g, '\\-');
}

/** `--listen <host:port>` → bold flags, italic argument. */
function optionTerm(flags) {
  return flags
    .split(/(<[^>]+>|\[[^\]]+\])/)
    .filter((part) => part !== '')
    .map((part) => (/^[<[]/.test(part) ? `\\fI${term(part)}\\fR` : `\\fB${term(part)}\\fR`))
    .join('');
}

async function man(appDir, version, date, outFile) {
  const { program, help, commands } = await commandTree(appDir);
  const lines = [
    `.TH ARCHY\\-QUADLET 1 "${date}" "archy\\-quadlet ${term(version)}" "User Commands"`,
    '.SH NAME',
    `archy\\-quadlet \\- ${roff(program.description().replace(/\.$/, ''))}`,
    '.SH SYNOPSIS',
    '.B archy\\-quadlet',
    '[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIoptions\\fR] [\\fIapp\\fR]',
    '.SH DESCRIPTION',
    `${roff(program.description())}`,
    '.PP',
    'On a node installed from the Debian package, the daemon \\fBarchy\\-quadlet.service\\fR runs',
    '\\fBarchy\\-quadlet serve \\-\\-watch\\fR: the reconciler, the controller, the HTTP API and the web UI on',
    '127.0.0.1:8080. The apps do not depend on it: restarting, upgrading or removing the daemon never',
    'restarts or stops an app. \\fBarchy\\-quadlet token\\fR prints the bearer token the web UI asks for.',
    '.PP',
    'Global options may stand before or after the command.',
    '.SH GLOBAL OPTIONS',
  ];
  const options = (cmd) => {
    for (const option of help.visibleOptions(cmd)) {
      if (option.long === '--help' && cmd !== program) continue;
      lines.push('.TP', optionTerm(help.optionTerm(option)), roff(help.optionDescription(option)));
    }
  };
  options(program);
  lines.push('.SH COMMANDS');
  for (const { path, cmd } of commands.slice(1)) {
    if (help.visibleCommands(cmd).some((sub) => sub.name() !== 'help') && help.visibleOptions(cmd).every((o) => o.long === '--help')) {
      // A group (import): its subcommands follow.
      lines.push(`.SS ${term(path.join(' '))} \\fIkind\\fR ...`, roff(help.commandDescription(cmd)));
      continue;
    }
    const args = cmd.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}${a.variadic ? '...' : ''}]`));
    lines.push(`.SS ${term([...path, ...args].join(' '))}`, roff(help.commandDescription(cmd)));
    options(cmd);
  }
  lines.push(
    '.SH FILES',
    '.TP',
    '.I /etc/archy\\-quadlet/manifests',
    "The node's catalog: one YAML manifest per app (conffiles of the package).",
    '.TP',
    '.I /var/lib/archy\\-quadlet',
    'The state directory (mode 0700): intents, secrets, last\\-good units, the API token. Removed on purge.',
    '.TP',
    '.I /etc/containers/systemd',
    "The Quadlet units the daemon writes (the apps'); kept when the package is removed or purged.",
    '.TP',
    '.I /usr/lib/systemd/system/archy\\-quadlet.service',
    "The node's daemon; settings with \\fBsystemctl edit archy\\-quadlet.service\\fR (ARCHY_QUADLET_MANIFESTS, ARCHY_QUADLET_LISTEN, ARCHY_QUADLET_OPTIONS).",
    '.TP',
    '.I /usr/lib/systemd/user/archy\\-quadlet.service',
    "The daemon of a rootless node, under a user's manager (127.0.0.1:8081): \\fBsystemctl \\-\\-user enable \\-\\-now archy\\-quadlet.service\\fR.",
    '.TP',
    '.I ~/.config/containers/systemd, ~/.local/state/archy\\-quadlet',
    'The unit directory and the state directory with \\fB\\-\\-user\\fR.',
    '.SH EXIT STATUS',
    '.TP',
    '.B 0',
    'ok',
    '.TP',
    '.B 1',
    'invalid input: manifests, an unknown app, a file archy\\-quadlet does not own',
    '.TP',
    '.B 2',
    'usage',
    '.TP',
    '.B 3',
    'a system failure: systemd refused or is unreachable, a job failed, an update was rolled back',
    '.SH SEE ALSO',
    '.BR podman\\-systemd.unit (5),',
    '.BR systemctl (1),',
    '.BR systemd.service (5),',
    '.BR journalctl (1)',
    '',
  );
  writeFileSync(outFile, lines.join('\n'));
}

// ---- bash completion -----------------------------------------------------------------------------------------

/** How an option's value completes: a directory, a file, or nothing offered. */
function valueKind(option) {
  if (!option.required && !option.optional) return undefined;
  if (/<dir>/.test(option.flags)) return 'dir';
  if (/<(path|file)>/.test(option.flags)) return 'file';
  return 'word';
}

async function completion(appDir, outFile) {
  const { program, help, commands } = await commandTree(appDir);
  const longs = (cmd) => help.visibleOptions(cmd).flatMap((o) => [o.long, o.short].filter(Boolean));
  const globals = longs(program).filter((f) => f !== '--help' && f !== '-h');
  const valued = { dir: new Set(), file: new Set(), word: new Set() };
  for (const { cmd } of commands) for (const o of help.visibleOptions(cmd)) {
    const kind = valueKind(o);
    if (kind) valued[kind].add(o.long);
  }
  const top = commands.filter((c) => c.path.length === 1).map((c) => c.path[0]);
  const cases = commands
    .filter((c) => c.path.length > 0)
    .map(({ path, cmd }) => {
      const subs = help.visibleCommands(cmd).map((s) => s.name()).filter((n) => n !== 'help');
      const takesApp = cmd.registeredArguments.some((a) => a.name() === 'app');
      return `\t\t"${path.join(' ')}") opts="${longs(cmd).join(' ')}"; subs="${subs.join(' ')}"; apps=${takesApp ? 1 : 0} ;;`;
    });
  const text = `# bash completion for archy-quadlet(1). Generated from the program's command tree by
# scripts/package-files.mjs when the Debian package is built; do not edit.
_archy_quadlet() {
	local cur prev words cword
	_init_completion || return

	local globals="${globals.join(' ')}"
	local commands="${top.join(' ')}"
	local manifests=/etc/archy-quadlet/manifests
	local i path="" opts="" subs="" apps=0

	# The command (and subcommand) typed so far; global options may stand before it.
	for ((i = 1; i < cword; i++)); do
		case \${words[i]} in
		${[...valued.dir, ...valued.file, ...valued.word].join('|')})
			[[ \${words[i]} == --manifests ]] && manifests=\${words[i + 1]}
			((i++)) ;;
		-*) ;;
		*)
			if [[ -z $path ]]; then
				path=\${words[i]}
			elif [[ $path == import ]]; then
				path="import \${words[i]}"
			fi ;;
		esac
	done

	case $prev in
	${[...valued.dir].join('|')}) _filedir -d; return ;;
	${[...valued.file].join('|')}) _filedir; return ;;
	${[...valued.word].join('|')}) return ;;
	esac

	if [[ -z $path ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$commands $globals" -- "$cur")
		return
	fi
	case $path in
${cases.join('\n')}
	esac
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$opts $globals" -- "$cur")
	elif [[ -n $subs ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
	elif ((apps)); then
		local f ids=""
		for f in "$manifests"/*.yaml "$manifests"/*.yml; do
			[[ -e $f ]] || continue
			f=\${f##*/}
			ids+=" \${f%.*}"
		done
		mapfile -t COMPREPLY < <(compgen -W "$ids" -- "$cur")
	else
		_filedir
	fi
} &&
	complete -F _archy_quadlet archy-quadlet
`;
  writeFileSync(outFile, text);
}

// ---- copyright -----------------------------------------------------------------------------------------------

/** SPDX identifiers as Debian's copyright format names them; a text in packaging/licenses/ or in common-licenses. */
const DEBIAN_LICENSE = { MIT: 'Expat', ISC: 'ISC', 'BSD-2-Clause': 'BSD-2-Clause', 'BSD-3-Clause': 'BSD-3-Clause', 'Apache-2.0': 'Apache-2.0' };
const COMMON_LICENSES = { 'Apache-2.0': '/usr/share/common-licenses/Apache-2.0' };

/** Every installed module under `dir/node_modules` (scoped and nested ones too): its path and package.json. */
function modules(dir) {
  const out = [];
  const nm = join(dir, 'node_modules');
  if (!existsSync(nm)) return out;
  for (const entry of readdirSync(nm, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const names = entry.name.startsWith('@') ? readdirSync(join(nm, entry.name)).map((n) => `${entry.name}/${n}`) : [entry.name];
    for (const name of names) {
      const path = join(nm, name);
      out.push({ path, pkg: JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) }, ...modules(path));
    }
  }
  return out;
}

/** The copyright lines of a module's licence file, else its author. */
function holders(path, pkg) {
  const file = readdirSync(path).find((n) => /^(licen[cs]e|copying)/i.test(n));
  const lines = file ? readFileSync(join(path, file), 'utf8').split('\n').map((l) => l.trim()).filter((l) => /^copyright\b/i.test(l) && /[0-9]/.test(l)) : [];
  if (lines.length > 0) return [...new Set(lines.map((l) => l.replace(/^copyright\s*(\(c\)|©)?\s*/i, '')))];
  const author = typeof pkg.author === 'string' ? pkg.author : pkg.author?.name;
  return [author ? `${author} and the contributors of ${pkg.name}` : `the contributors of ${pkg.name}`];
}

function copyright(appDir, outFile, installedAt = '/usr/share/archy-quadlet') {
  const head = readFileSync(join(repo, 'packaging/copyright'), 'utf8').trimEnd();
  const used = new Set(['Expat']);
  const paragraphs = [];
  for (const { path, pkg } of modules(appDir).sort((a, b) => a.path.localeCompare(b.path))) {
    const spdx = pkg.license ?? pkg.licenses?.[0]?.type;
    const license = DEBIAN_LICENSE[spdx];
    const where = relative(appDir, path);
    if (!license) throw new Error(`package-files copyright: ${where} (${pkg.name} ${pkg.version}) has the license ${JSON.stringify(spdx)}, which packaging/licenses/ has no text for; add it there and to DEBIAN_LICENSE in scripts/package-files.mjs`);
    used.add(license);
    paragraphs.push(`Files: ${installedAt.slice(1)}/${where}/*\nCopyright: ${holders(path, pkg).join('\n ')}\nComment: ${pkg.name} ${pkg.version}\nLicense: ${license}`);
  }
  const licenses = [...used].sort().map((name) => {
    if (COMMON_LICENSES[name]) return `License: ${name}\n On Debian systems, the full text of this license is in ${COMMON_LICENSES[name]}.`;
    const text = readFileSync(join(repo, 'packaging/licenses', name), 'utf8').trimEnd();
    return `License: ${name}\n${text.split('\n').map((l) => (l === '' ? ' .' : ` ${l}`)).join('\n')}`;
  });
  writeFileSync(outFile, `${[head, ...paragraphs, ...licenses].join('\n\n')}\n`);
}

// ---- main ----------------------------------------------------------------------------------------------------

const usage = 'usage: node scripts/package-files.mjs man APP_DIR VERSION DATE OUT | completion APP_DIR OUT | copyright APP_DIR OUT';
if (what === 'man' && args.length === 4) await man(args[0], args[1], args[2], args[3]);
else if (what === 'completion' && args.length === 2) await completion(args[0], args[1]);
else if (what === 'copyright' && args.length === 2) copyright(args[0], args[1]);
else {
  process.stderr.write(`${usage}\n`);
  process.exit(2);
}
