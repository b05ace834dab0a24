import type { RE2JS } from 're2js';

/**
 * Every match of a pattern in one pass over the text: leftmost-longest, non-overlapping, at most `maxLength`
 * characters (a longer match is passed over whole), in time linear in the text.
 *
 * Why not a loop around find(): after each short match, RE2 must read on to the end of the text to rule out a longer
 * one (x.*y|x over "xxxx…" reads n + (n-1) + … characters), so iterating is quadratic even on a linear-time engine.
 * Here the program re2js compiled is run once, backwards, as a Pike VM (one thread per instruction, never more):
 * each thread carries the end of the match it would complete, and when two reach the same instruction at the same
 * position the one with the later end is kept, which loses nothing: the starts either can still reach depend only on
 * the instruction and the text before. So after one pass from the end of the text to its start, the longest match
 * from every position is known, and choosing the leftmost, then the next from its end, takes one more pass.
 * Work: O(text × instructions), at most two steps per instruction and character.
 */

// re2js's instruction set (re2js/src/Inst.js) and empty-width conditions (Utils.EMPTY_*): the compiled program is
// read as re2js builds it, which is why the dependency is pinned to an exact version.
const ALT = 1;
const ALT_MATCH = 2;
const CAPTURE = 3;
const EMPTY_WIDTH = 4;
const FAIL = 5;
const MATCH = 6;
const NOP = 7;
const RUNE = 8;
const RUNE1 = 9;
const RUNE_ANY = 10;
const RUNE_ANY_NOT_NL = 11;
const BEGIN_LINE = 1;
const END_LINE = 2;
const BEGIN_TEXT = 4;
const END_TEXT = 8;
const WORD_BOUNDARY = 16;
const NO_WORD_BOUNDARY = 32;
const FOLD_CASE = 1; // RE2Flags.FOLD_CASE, on a RUNE instruction's arg

interface Inst {
  op: number;
  out: number;
  arg: number;
  runes: Int32Array;
  matchRune(rune: number): boolean;
}
interface Prog {
  inst: Inst[];
  start: number;
}

/** Counts the matcher's work: one unit per position it stops at and per thread it steps. */
export interface MatchWork {
  units: number;
}

const isWord = (code: number) =>
  (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;

/** The empty-width conditions that hold between `before` and `at` (-1 beyond the text), as re2js computes them. */
function conditions(before: number, at: number): number {
  let flags = 0;
  if (before < 0) flags |= BEGIN_TEXT | BEGIN_LINE;
  else if (before === 10) flags |= BEGIN_LINE;
  if (at < 0) flags |= END_TEXT | END_LINE;
  else if (at === 10) flags |= END_LINE;
  return flags | (isWord(before) !== isWord(at) ? WORD_BOUNDARY : NO_WORD_BOUNDARY);
}

function consumes(inst: Inst, rune: number): boolean {
  switch (inst.op) {
    case RUNE:
      return inst.matchRune(rune);
    case RUNE1:
      return rune === inst.runes[0];
    case RUNE_ANY:
      return true;
    default:
      return rune !== 10;
  }
}

/** Edges of the program reversed, in compressed rows: for each instruction, those that lead to it. */
function predecessors(
  count: number,
  edges: Array<[from: number, to: number]>,
): { start: Int32Array; from: Int32Array } {
  const start = new Int32Array(count + 1);
  for (const [, to] of edges) start[to + 1]!++;
  for (let i = 0; i < count; i++) start[i + 1]! += start[i]!;
  const fill = start.slice(0, count);
  const from = new Int32Array(edges.length);
  for (const [f, to] of edges) from[fill[to]!++] = f;
  return { start, from };
}

/** Work between two steps of a scan (MatchWork units): about a millisecond. */
export const STEP_UNITS = 1 << 17;

export class LongestMatcher {
  /** Instructions in the program: the most threads a position can hold, hence the cost per character. */
  readonly size: number;
  private readonly inst: Inst[];
  private readonly start: number;
  private readonly match: number;
  /** Instructions that consume a character and lead to each instruction. */
  private readonly runePreds: { start: Int32Array; from: Int32Array };
  /** Instructions that lead to each instruction without consuming (alternation, groups, empty-width tests). */
  private readonly emptyPreds: { start: Int32Array; from: Int32Array };
  /** For each character instruction, the ASCII characters it matches: 4 words of 32 bits. */
  private readonly ascii: Int32Array;
  /** ASCII characters that can end a match: elsewhere the scan skips ahead while it has no thread. */
  private readonly lastChar: Uint8Array;
  /** Text every match begins with: no match starts before its first occurrence. */
  private readonly prefix: string;
  private readonly hasConditions: boolean;

  constructor(regex: RE2JS) {
    const prog = (regex.re2() as unknown as { prog: Prog }).prog;
    this.inst = prog.inst;
    this.start = prog.start;
    this.size = this.inst.length;
    const runeEdges: Array<[number, number]> = [];
    const emptyEdges: Array<[number, number]> = [];
    this.ascii = new Int32Array(this.size * 4);
    let match = -1;
    let hasConditions = false;
    this.inst.forEach((inst, pc) => {
      switch (inst.op) {
        case ALT:
        case ALT_MATCH:
          emptyEdges.push([pc, inst.out], [pc, inst.arg]);
          break;
        case CAPTURE:
        case NOP:
          emptyEdges.push([pc, inst.out]);
          break;
        case EMPTY_WIDTH:
          emptyEdges.push([pc, inst.out]);
          hasConditions = true;
          break;
        case MATCH:
          match = pc;
          break;
        case RUNE:
        case RUNE1:
        case RUNE_ANY:
        case RUNE_ANY_NOT_NL:
          runeEdges.push([pc, inst.out]);
          for (let code = 0; code < 128; code++)
            if (consumes(inst, code)) this.ascii[pc * 4 + (code >> 5)]! |= 1 << (code & 31);
          break;
        case FAIL:
          break;
        default: // lookbehinds, which custom patterns never enable
          throw new Error(`Unsupported instruction ${inst.op} in /${regex.pattern()}/`);
      }
    });
    this.match = match;
    this.hasConditions = hasConditions;
    this.runePreds = predecessors(this.size, runeEdges);
    this.emptyPreds = predecessors(this.size, emptyEdges);
    this.lastChar = this.lastCharacters();
    this.prefix = this.literalPrefix();
  }

  /** The ASCII characters the last character of a match can be: those of the instructions that lead to MATCH. */
  private lastCharacters(): Uint8Array {
    const last = new Uint8Array(128);
    const seen = new Uint8Array(this.size);
    const stack = [this.match];
    seen[this.match] = 1;
    while (stack.length) {
      const pc = stack.pop()!;
      for (let k = this.runePreds.start[pc]!; k < this.runePreds.start[pc + 1]!; k++) {
        const rune = this.runePreds.from[k]!;
        for (let code = 0; code < 128; code++)
          if (this.ascii[rune * 4 + (code >> 5)]! & (1 << (code & 31))) last[code] = 1;
      }
      for (let k = this.emptyPreds.start[pc]!; k < this.emptyPreds.start[pc + 1]!; k++) {
        const from = this.emptyPreds.from[k]!;
        if (!seen[from]) {
          seen[from] = 1;
          stack.push(from);
        }
      }
    }
    return last;
  }

  /** The characters every match starts with, as re2js's Prog.prefix() finds them (EMP- for EMP-\\d{6}). */
  private literalPrefix(): string {
    let prefix = '';
    let pc = this.start;
    for (;;) {
      const inst = this.inst[pc]!;
      if (inst.op === NOP || inst.op === CAPTURE) pc = inst.out;
      else if (inst.op === RUNE1 || (inst.op === RUNE && inst.runes.length === 1 && !(inst.arg & FOLD_CASE))) {
        prefix += String.fromCodePoint(inst.runes[0]!);
        pc = inst.out;
      } else return prefix;
    }
  }

  /**
   * Calls `found` with each match, in text order: leftmost-longest, non-overlapping and non-empty; a match longer
   * than `maxLength` is passed over (the scan goes on after it), since it is no identifier.
   */
  matches(text: string, maxLength: number, found: (start: number, end: number) => void, work?: MatchWork): void {
    const steps = this.steps(text, maxLength, found, work);
    while (!steps.next().done);
  }

  /** The same, in steps of bounded work (about a millisecond), so that the caller can let other work run. */
  *steps(
    text: string,
    maxLength: number,
    found: (start: number, end: number) => void,
    work: MatchWork = { units: 0 },
  ): Generator<void, void, void> {
    const first = this.prefix ? text.indexOf(this.prefix) : 0;
    work.units += first < 0 ? text.length : first;
    if (first < 0) return;
    const longest = yield* this.longestFromEach(text, first, work);
    let from = first;
    for (let i = first; i < text.length; i++) {
      const end = longest[i]!;
      if (end > i && i >= from) {
        if (end - i <= maxLength) found(i, end);
        from = end;
      }
    }
    work.units += text.length - first;
  }

  /**
   * For each position from `first` on, the end of the longest match that starts there (-1 for none), in one pass
   * from the end of the text.
   */
  private *longestFromEach(text: string, first: number, work: MatchWork): Generator<void, Int32Array, void> {
    const { inst, size, runePreds, emptyPreds, ascii, lastChar, start, match, hasConditions } = this;
    const n = text.length;
    const longest = new Int32Array(n + 1).fill(-1);
    // The threads at a position: instructions from which the text after it matches, each with the end of the longest
    // such match. Listed latest end first, and only those a character instruction leads to, for the next step back.
    let list = new Int32Array(size);
    let count = 0;
    let nextList = new Int32Array(size);
    let nextCount = 0;
    // The ends of the threads at the position, and at the one being computed (written while the first is read).
    let ends = new Int32Array(size);
    let nextEnds = new Int32Array(size);
    const claimedAt = new Int32Array(size).fill(-1);
    const stack = new Int32Array(size);
    let units = 0;
    let pause = work.units + STEP_UNITS;

    // Adds the thread (pc, end) at position `at`, and every instruction that leads to pc without consuming a
    // character. An instruction already claimed at `at` keeps its end: threads come latest end first.
    const add = (pc: number, end: number, at: number, flags: number) => {
      if (claimedAt[pc] === at) return;
      claimedAt[pc] = at;
      let depth = 0;
      stack[depth++] = pc;
      while (depth > 0) {
        const to = stack[--depth]!;
        units++;
        nextEnds[to] = end;
        if (runePreds.start[to + 1]! > runePreds.start[to]!) nextList[nextCount++] = to;
        for (let k = emptyPreds.start[to]!; k < emptyPreds.start[to + 1]!; k++) {
          const from = emptyPreds.from[k]!;
          if (claimedAt[from] === at) continue;
          const test = inst[from]!;
          if (test.op === EMPTY_WIDTH && (test.arg & ~flags) !== 0) continue;
          claimedAt[from] = at;
          stack[depth++] = from;
        }
      }
    };
    const flagsAt = (at: number) =>
      hasConditions ? conditions(at > 0 ? text.charCodeAt(at - 1) : -1, at < n ? text.charCodeAt(at) : -1) : 0;
    // The position computed becomes the current one; the old arrays are reused for the next.
    const settle = () => {
      const oldList = list;
      const oldEnds = ends;
      list = nextList;
      ends = nextEnds;
      nextList = oldList;
      nextEnds = oldEnds;
      count = nextCount;
      nextCount = 0;
    };

    let at = n;
    add(match, at, at, flagsAt(at));
    settle();
    let carried = 0; // threads stepped back into this position, besides the match that ends here
    for (;;) {
      units++;
      if (claimedAt[start] === at && ends[start]! > at) longest[at] = ends[start]!;
      if (at <= first) break;
      if (work.units + units >= pause) {
        work.units += units;
        units = 0;
        pause = work.units + STEP_UNITS;
        yield;
      }
      if (carried === 0) {
        // Only a match ending here is alive, and none ends on a character that cannot end one: skip those.
        let to = at;
        while (to > first && text.charCodeAt(to - 1) < 128 && !lastChar[text.charCodeAt(to - 1)]) to--;
        if (to < at) {
          units += at - to;
          at = to;
          add(match, at, at, flagsAt(at));
          settle();
          continue;
        }
      }
      // Step back over the character that ends at `at`: a character instruction that takes it and leads to a thread
      // becomes a thread one character earlier, with the same end.
      const last = text.charCodeAt(at - 1);
      const high = last >= 0xdc00 && last <= 0xdfff && at > 1 ? text.charCodeAt(at - 2) : 0;
      const paired = high >= 0xd800 && high <= 0xdbff;
      const rune = paired ? (high - 0xd800) * 1024 + (last - 0xdc00) + 0x10000 : last;
      const before = at - (paired ? 2 : 1);
      const flags = flagsAt(before);
      for (let t = 0; t < count; t++) {
        const pc = list[t]!;
        for (let k = runePreds.start[pc]!; k < runePreds.start[pc + 1]!; k++) {
          const from = runePreds.from[k]!;
          units++;
          const takes =
            rune < 128 ? (ascii[from * 4 + (rune >> 5)]! & (1 << (rune & 31))) !== 0 : consumes(inst[from]!, rune);
          if (takes) add(from, ends[pc]!, before, flags);
        }
      }
      carried = nextCount;
      add(match, before, before, flags);
      settle();
      at = before;
    }
    work.units += units;
    return longest;
  }
}
