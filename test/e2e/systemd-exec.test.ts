// The tests' reading of ExecStart= (test/support/systemd-exec.ts) against the host's systemd 257: each line is the
// ExecStart= of a one-shot unit that prints every argument it got, one per line; what systemd ran must be what the
// reader says (quotes, C escapes, specifiers, $$, the ";" separator and its "\;" escape).
import { afterAll, describe, expect, it } from 'vitest';
import { useHost } from '../host/index.js';
import { execCommands } from '../support/systemd-exec.js';

const PRINT = '/usr/bin/printf "[%%s]\\n"';
const LINES = [
  `${PRINT} a "b c" 'd e' x\\x41y "q\\"uote" 100%% $$HOME "a;" \\; "\\\\;" é a"b c"d`,
  `${PRINT} one ; ${PRINT} two "three four"`,
  `${PRINT} "${'\\\\'}" %n`,
];

describe('ExecStart= as systemd 257 reads it', () => {
  const host = useHost();
  afterAll(async () => {
    await host.exec(['sh', '-c', 'rm -f /run/systemd/system/argv-probe-*.service /tmp/argv-probe-*; systemctl daemon-reload']);
  });

  it.each(LINES.map((line, i) => [i, line] as const))('line %i: the commands systemd runs are the reader\'s', async (i, line) => {
    const unit = `argv-probe-${i}`;
    const text = `[Service]\nType=oneshot\nStandardOutput=append:/tmp/${unit}.out\nExecStart=${line}\n`;
    await host.execOk(['sh', '-c', `cat > /run/systemd/system/${unit}.service && rm -f /tmp/${unit}.out && systemctl daemon-reload && systemctl start ${unit}.service`], { input: text });
    const printed = (await host.execOk(['cat', `/tmp/${unit}.out`])).split('\n').filter((l) => l !== '');
    const read = execCommands(line);
    if (!read.ok) throw new Error(read.message);
    // Each command is printf FORMAT ARGS…: it prints [ARG] per argument; a specifier reads as <%x> in the reader.
    const expected = read.value.flatMap((argv) => argv.slice(2).map((a) => `[${a.replace('<%n>', `${unit}.service`)}]`));
    expect(printed).toEqual(expected);
  });
});
