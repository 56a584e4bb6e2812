// A small Dockerfile reader (instructions, stages, exec-form arguments) and the .dockerignore matching rules of
// BuildKit (moby/patternmatcher), enough to check what the one Dockerfile builds and copies.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './repo.js';

export interface Instruction {
  keyword: string;
  /** The arguments as written (continuations joined). */
  arguments: string;
  line: number;
}

export interface Stage {
  name: string;
  /** The FROM image or stage, with global ARG defaults substituted. */
  from: string;
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArguments: Record<string, string>;
  stages: Stage[];
  syntax?: string;
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const lines = text.split('\n');
  const instructions: Instruction[] = [];
  let syntax: string | undefined;
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index];
    const directive = /^#\s*syntax\s*=\s*(\S+)/.exec(line);
    if (directive && instructions.length === 0) syntax = directive[1];
    if (/^\s*(#|$)/.test(line)) continue;
    const start = index;
    let joined = line;
    while (/\\\s*$/.test(joined) && index + 1 < lines.length) {
      index += 1;
      if (/^\s*#/.test(lines[index])) continue; // comment lines inside a continuation are dropped
      joined = joined.replace(/\s*\\\s*$/, ' ') + lines[index].trim();
    }
    const match = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(joined);
    if (!match) throw new Error(`Dockerfile line ${start + 1}: cannot parse "${joined}"`);
    instructions.push({ keyword: match[1].toUpperCase(), arguments: match[2].trim(), line: start + 1 });
  }

  const globalArguments: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.arguments);
      if (!match) throw new Error(`Dockerfile line ${instruction.line}: bad FROM`);
      const from = match[1].replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_all, name: string) => globalArguments[name] ?? `\${${name}}`);
      stages.push({ name: match[2] ?? String(stages.length), from, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') throw new Error(`Dockerfile line ${instruction.line}: only ARG may precede FROM`);
      const [name, value] = instruction.arguments.split('=');
      globalArguments[name.trim()] = (value ?? '').trim();
    } else {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return { globalArguments, stages, syntax };
}

export const loadDockerfile = (): ParsedDockerfile => parseDockerfile(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'));

/** An exec-form argument list (`["node", "x.js"]`), or undefined for the shell form. */
export function execForm(argumentsText: string): string[] | undefined {
  if (!argumentsText.startsWith('[')) return undefined;
  const parsed = JSON.parse(argumentsText) as unknown;
  return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : undefined;
}

export interface CopyInstruction {
  from?: string;
  sources: string[];
  destination: string;
  flags: Record<string, string>;
}

export function parseCopy(instruction: Instruction): CopyInstruction {
  const words = instruction.arguments.split(/\s+/);
  const flags: Record<string, string> = {};
  while (words[0]?.startsWith('--')) {
    const [flag, value] = words.shift()!.slice(2).split('=');
    flags[flag] = value ?? 'true';
  }
  const list = execForm(words.join(' ')) ?? words;
  return { from: flags.from, sources: list.slice(0, -1), destination: list[list.length - 1], flags };
}

// ---- .dockerignore ---------------------------------------------------------------------------------------------

interface IgnorePattern {
  exclusion: boolean;
  regex: RegExp;
  source: string;
}

function patternToRegex(pattern: string): RegExp {
  let expression = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const character = pattern[index];
    if (character === '*') {
      if (pattern[index + 1] === '*') {
        index += 1;
        if (pattern[index + 1] === '/') {
          index += 1;
          expression += '(?:.*/)?'; // `**/` : zero or more directories
        } else {
          expression += '.*';
        }
      } else {
        expression += '[^/]*';
      }
    } else if (character === '?') {
      expression += '[^/]';
    } else {
      expression += character.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${expression}$`);
}

export function parseDockerignore(text: string): IgnorePattern[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const exclusion = line.startsWith('!');
      const cleaned = path.posix.normalize((exclusion ? line.slice(1) : line).trim()).replace(/^\/+/, '').replace(/\/+$/, '');
      return { exclusion, regex: patternToRegex(cleaned), source: line };
    });
}

/**
 * Whether a context path (relative, posix) is left out of the build context: the last pattern that matches the path
 * or one of its parent directories decides, `!` patterns re-include.
 */
export function isIgnored(patterns: IgnorePattern[], relativePath: string): boolean {
  const normalized = path.posix.normalize(relativePath).replace(/^\.\//, '').replace(/\/+$/, '');
  const segments = normalized.split('/');
  const candidates = segments.map((_segment, index) => segments.slice(0, index + 1).join('/'));
  let ignored = false;
  for (const pattern of patterns) {
    if (candidates.some((candidate) => pattern.regex.test(candidate))) ignored = !pattern.exclusion;
  }
  return ignored;
}

export const loadDockerignore = (): IgnorePattern[] => parseDockerignore(readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8'));
