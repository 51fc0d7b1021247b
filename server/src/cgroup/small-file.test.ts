import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FdBudget, HeldFile, ReadBuffer, readSmallFile } from './small-file.js';

const dir = mkdtempSync(join(tmpdir(), 'dpcg-small-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * This process's descriptors open on `path`. Counted by what each points at, not in all: the test runner opens
 * and closes descriptors of its own meanwhile.
 */
const fdsOn = (path: string): number =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false;
    }
  }).length;

describe('readSmallFile', () => {
  test('reads a file whole, and undefined when it is gone', () => {
    writeFileSync(join(dir, 'a'), '123\n');
    assert.equal(readSmallFile(join(dir, 'a')), '123\n');
    assert.equal(readSmallFile(join(dir, 'missing')), undefined);
  });
  test('a file longer than one read is read whole', () => {
    const big = 'x'.repeat(200_000);
    writeFileSync(join(dir, 'big'), big);
    assert.equal(readSmallFile(join(dir, 'big')), big);
  });
  test('a /proc file of lines longer than a page is read whole, though one read returns one page of it', (t) => {
    // A process's smaps: a few dozen lines per mapping, hundreds of mappings for Node, so many pages.
    const path = '/proc/self/smaps';
    if (!existsSync(path)) return t.skip(`${path} does not exist: this kernel has no CONFIG_PROC_PAGE_MONITOR`);
    const mappings = (text: string): number => text.split('\n').filter((l) => l.startsWith('VmFlags:')).length;
    const ours = readSmallFile(path)!;
    const theirs = readFileSync(path, 'latin1');
    assert.ok(theirs.length > 3 * 4096, `${theirs.length} bytes`);
    // Mappings come and go between the two reads, a few at most.
    assert.ok(Math.abs(mappings(ours) - mappings(theirs)) <= 5, `${mappings(ours)} mappings against ${mappings(theirs)}`);
    assert.ok(ours.endsWith('\n'));
  });
  test('errors other than "gone" are thrown', () => {
    assert.throws(() => readSmallFile(dir), /EISDIR/);
  });
});

/** What a held file reads, as text. */
const textOf = (f: HeldFile): string | undefined => {
  const into = new ReadBuffer();
  return f.read(into) ? into.text() : undefined;
};

describe('HeldFile', () => {
  test('reads again from the start each time, holding one descriptor until closed', () => {
    const path = join(dir, 'held');
    writeFileSync(path, '1\n');
    const budget = new FdBudget(10);
    const f = new HeldFile(path, budget);
    assert.equal(textOf(f), '1\n');
    writeFileSync(path, '22\n');
    assert.equal(textOf(f), '22\n');
    assert.equal(budget.held, 1);
    assert.equal(fdsOn(path), 1);
    f.close();
    f.close();
    assert.equal(budget.held, 0);
    assert.equal(fdsOn(path), 0);
  });
  test('past the budget, the file is opened for each read and nothing is held', () => {
    const path = join(dir, 'unheld');
    writeFileSync(path, 'a');
    const budget = new FdBudget(0);
    const f = new HeldFile(path, budget);
    assert.equal(textOf(f), 'a');
    assert.equal(budget.held, 0);
    assert.equal(fdsOn(path), 0);
    unlinkSync(path);
    assert.equal(textOf(f), undefined, 'gone');
  });
  test('a file that does not exist reads as undefined and holds nothing', () => {
    const budget = new FdBudget(10);
    assert.equal(textOf(new HeldFile(join(dir, 'nope'), budget)), undefined);
    assert.equal(budget.held, 0);
  });
});
