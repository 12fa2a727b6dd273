/**
 * commander, loaded through Node's CommonJS loader. commander is a CommonJS package: imported as ESM, Node 20 reads
 * each of its files asynchronously and scans it for its exports first (cjs-module-lexer), which cost `--help` about
 * 10 ms beside a 40–60 ms `node -e 0` (issue 15, docs/performance.md); `require` reads and compiles the same files
 * synchronously. Each name is commander's class and its type.
 */
import { createRequire } from 'node:module';
import type * as Commander from 'commander';

const commander = createRequire(import.meta.url)('commander') as typeof Commander;

export const { Command, CommanderError, Option } = commander;
export type Command = Commander.Command;
export type CommanderError = Commander.CommanderError;
export type Option = Commander.Option;
