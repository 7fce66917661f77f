/**
 * Stack traces of a bundled function, told in its sources. Node can map every stack itself
 * (--enable-source-maps), but then parses the bundle's source map at every cold start, some 15 ms;
 * here the map is read when a stack is first logged, and most instances never log one.
 */

import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';

/** `    at name (/path/file.js:12:345)` or `    at /path/file.js:12:345`. */
const FRAME = /^(\s*at )(?:(.+) \()?(\/[^()]+\.[cm]?js):(\d+):(\d+)\)?$/;

const maps = new Map<string, SourceMap | undefined>();
/**
 * Files found without a map are remembered up to this many: lines of an error's message that look
 * like frames may name any path. Maps found are always kept; only the deployed files have them.
 */
const MAX_FILES_WITHOUT_MAP = 32;
let filesWithoutMap = 0;

function sourceMapOf(file: string): SourceMap | undefined {
  if (!maps.has(file)) {
    let map: SourceMap | undefined;
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {
      // No map, or an unreadable one, leaves the stack as it is.
    }
    if (map || filesWithoutMap < MAX_FILES_WITHOUT_MAP) {
      maps.set(file, map);
      if (!map) filesWithoutMap += 1;
    }
    return map;
  }
  return maps.get(file);
}

interface Position {
  source: string;
  line: number;
  column: number;
  /** The name written at this position in the source: at a call, the called function's. */
  name?: string;
}

function original(file: string, line: number, column: number): Position | undefined {
  const entry = sourceMapOf(file)?.findEntry(line - 1, column - 1) as Partial<Position & { originalSource: string; originalLine: number; originalColumn: number }> | undefined;
  // A map is data from disk: a source or name that is not text is no position.
  if (typeof entry?.originalSource !== 'string') return undefined;
  // A map names its sources from its own folder: resolved there, each is kept from the project's
  // own folders on, so that a package's frame keeps the package's name.
  const resolved = resolve(dirname(file), entry.originalSource);
  const source = /\/((?:lambdas|node_modules)\/.*)$/.exec(resolved)?.[1] ?? entry.originalSource.replace(/^(?:\.\.\/)+/, '');
  const name = typeof entry.name === 'string' ? entry.name : undefined;
  return { source, line: (entry.originalLine ?? 0) + 1, column: (entry.originalColumn ?? 0) + 1, name };
}

/** `stack` with each frame in a bundle that has a source map beside it told in the sources; other frames as they are. */
export function withSourcePositions(stack: string): string {
  try {
    return mapped(stack);
  } catch {
    // Logging an error must not fail: a stack that cannot be told in the sources is logged as it is.
    return stack;
  }
}

function mapped(stack: string): string {
  const lines = stack.split('\n');
  const frames = lines.map((line) => {
    const match = FRAME.exec(line);
    if (!match) return undefined;
    const [, lead, name, file, line_, column] = match;
    return { lead, name, position: original(file, Number(line_), Number(column)) };
  });
  return lines
    .map((line, index) => {
      const frame = frames[index];
      if (!frame?.position) return line;
      const { source, line: sourceLine, column } = frame.position;
      // A minified function's own name is at its caller's call, the next frame, as Node finds it.
      const name = frames[index + 1]?.position?.name ?? frame.name;
      const where = `${source}:${sourceLine}:${column}`;
      return name ? `${frame.lead}${name} (${where})` : `${frame.lead}${where}`;
    })
    .join('\n');
}
