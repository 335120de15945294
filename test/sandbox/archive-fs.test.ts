// A data directory unpacked from its archive straight into PGlite's file system (archive-fs.ts) holds
// exactly the files the archive was made of, from a gzipped or a plain archive fed in chunks of any size,
// PGlite starts on it, and a damaged archive is refused rather than started on.
import { PGlite } from '@electric-sql/pglite';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveInflater, extractArchive, TarExtractor, type ExtractFs } from '../../src/sandbox/archive-fs.js';
import { openPglite } from '../../src/sandbox/cluster.js';

interface WalkFs {
  readdir(path: string): string[];
  stat(path: string): { mode: number };
  isFile(mode: number): boolean;
  isDir(mode: number): boolean;
  readFile(path: string, options: { encoding: 'binary' }): Uint8Array;
}

/** Every file and directory under the data directory, with the files' bytes. */
function tree(db: PGlite): Map<string, Uint8Array | 'dir'> {
  const fs = (db as unknown as { mod: { FS: WalkFs } }).mod.FS;
  const out = new Map<string, Uint8Array | 'dir'>();
  const visit = (dir: string): void => {
    for (const name of fs.readdir(dir)) {
      if (name === '.' || name === '..') continue;
      const path = `${dir}/${name}`;
      const { mode } = fs.stat(path);
      if (fs.isDir(mode)) {
        out.set(path, 'dir');
        visit(path);
      } else if (fs.isFile(mode)) {
        out.set(path, fs.readFile(path, { encoding: 'binary' }));
      }
    }
  };
  visit('/pglite/data');
  return out;
}

/** An in-memory stand-in for Emscripten's FS: what was written, in order. */
function recordingFs(): ExtractFs & { files: Map<string, Uint8Array>; dirs: Set<string> } {
  const files = new Map<string, Uint8Array>();
  const dirs = new Set<string>();
  return {
    files,
    dirs,
    analyzePath: (path) => ({ exists: dirs.has(path) }),
    mkdirTree: (path) => {
      const parts = path.split('/');
      for (let i = 2; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    },
    writeFile: (path, data) => void files.set(path, data),
    utime: () => undefined,
  };
}

describe('a data directory unpacked from its archive', () => {
  let source: PGlite;
  let plain: Uint8Array;
  const files = new Map<string, Uint8Array>();
  const dirs = new Set<string>();
  beforeAll(async () => {
    source = await openPglite();
    await source.exec(`CREATE TABLE kept (id int PRIMARY KEY, note text); INSERT INTO kept SELECT i, repeat('n', i % 700) FROM generate_series(1, 3000) i;`);
    plain = new Uint8Array(await (await source.dumpDataDir('none')).arrayBuffer());
    // What the archive was made of: nothing runs on the source between the dump and this walk.
    for (const [path, bytes] of tree(source)) {
      if (bytes === 'dir') dirs.add(path);
      else files.set(path, bytes);
    }
  }, 120_000);
  afterAll(async () => {
    await source.close();
  });

  it('holds the files the archive was made of, and starts on them from a gzipped archive or a plain one', async () => {
    const unpacked = recordingFs();
    await extractArchive(unpacked, plain);
    for (const [path, bytes] of files) expect(Buffer.from(unpacked.files.get(path) ?? []).equals(Buffer.from(bytes)), path).toBe(true);
    expect([...unpacked.files.keys()].sort()).toEqual([...files.keys()].sort());
    expect([...dirs].every((dir) => unpacked.dirs.has(dir))).toBe(true);
    const count = 'SELECT count(*)::int AS n, sum(length(note))::int AS total FROM kept';
    const expected = (await source.query(count)).rows;
    for (const tarball of [new Uint8Array(gzipSync(plain)), plain]) {
      const db = await openPglite({ tarball });
      try {
        expect((await db.query(count)).rows).toEqual(expected);
      } finally {
        await db.close();
      }
    }
  }, 120_000);

  it('unpacks the same files whatever the size of the chunks it is fed', async () => {
    const whole = recordingFs();
    expect(await extractArchive(whole, plain, '/d')).toBe(whole.files.size);
    for (const size of [97, 511, 513, 65_536]) {
      const fs = recordingFs();
      const extractor = new TarExtractor(fs, '/d');
      for (let at = 0; at < plain.length; at += size) extractor.push(plain.subarray(at, at + size));
      extractor.finish();
      expect([...fs.dirs].sort()).toEqual([...whole.dirs].sort());
      expect(fs.files.size).toBe(whole.files.size);
      for (const [path, bytes] of whole.files) expect(Buffer.from(fs.files.get(path)!).equals(Buffer.from(bytes)), `${size}: ${path}`).toBe(true);
    }
  });

  it('restores every byte of files whose pages are partly zero, whatever the chunks (zero pages are left unwritten)', () => {
    // Zero pages between non-zero ones, non-zero bytes at the first and last byte of a page, a last
    // page cut short, and a file of zeros only.
    const page = 4096;
    const mixed = new Uint8Array(5 * page + 123);
    mixed[0] = 1;
    mixed[page - 1] = 2;
    mixed[3 * page] = 3;
    mixed[4 * page - 1] = 4;
    mixed[5 * page + 122] = 5;
    const zeros = new Uint8Array(3 * page);
    const tail = Uint8Array.from({ length: 700 }, (_, i) => (i % 3 === 0 ? 0 : i % 251));
    const archive = tarOf([
      ['mixed', mixed],
      ['zeros', zeros],
      ['tail', tail],
    ]);
    for (const size of [1, 511, page - 1, page + 1, archive.length]) {
      const fs = recordingFs();
      const extractor = new TarExtractor(fs, '/d');
      for (let at = 0; at < archive.length; at += size) extractor.push(archive.subarray(at, at + size));
      extractor.finish();
      expect(Buffer.from(fs.files.get('/d/mixed')!).equals(Buffer.from(mixed)), `${size}: mixed`).toBe(true);
      expect(Buffer.from(fs.files.get('/d/zeros')!).equals(Buffer.from(zeros)), `${size}: zeros`).toBe(true);
      expect(Buffer.from(fs.files.get('/d/tail')!).equals(Buffer.from(tail)), `${size}: tail`).toBe(true);
    }
  });

  it('inflates ahead before there is a file system (pausing past its bound), then unpacks the same files', async () => {
    const whole = recordingFs();
    await extractArchive(whole, plain, '/d');
    // Plain, the archive is larger than what is inflated ahead: inflating pauses, and resumes on unpacking.
    const padded = new Uint8Array(plain.length + 40 * 1024 * 1024);
    padded.set(plain);
    for (const archive of [new Uint8Array(gzipSync(plain)), new Uint8Array(gzipSync(padded))]) {
      const inflater = new ArchiveInflater(archive);
      // PGlite instantiating: the thread pool inflates meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const fs = recordingFs();
      expect(await inflater.extractInto(fs, '/d')).toBe(whole.files.size);
      for (const [path, bytes] of whole.files) expect(Buffer.from(fs.files.get(path)!).equals(Buffer.from(bytes)), path).toBe(true);
    }
    // A damaged archive inflated ahead is refused when unpacked.
    const cut = new ArchiveInflater(new Uint8Array(gzipSync(plain)).subarray(0, 2000));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(cut.extractInto(recordingFs(), '/d')).rejects.toThrow();
  });

  it('refuses a damaged or truncated archive', async () => {
    const damaged = plain.slice();
    damaged[10] = damaged[10]! ^ 0xff;
    await expect(extractArchive(recordingFs(), damaged, '/d')).rejects.toThrow(/corrupted/);
    // Cut inside the first file's data (the archive starts with a directory entry, then files).
    await expect(extractArchive(recordingFs(), plain.subarray(0, 512 * 40 + 100), '/d')).rejects.toThrow(/truncated/);
    await expect(extractArchive(recordingFs(), new Uint8Array(gzipSync(plain)).subarray(0, 2000), '/d')).rejects.toThrow();
  });
});

/** A plain ustar archive of regular files (what a data directory's archive is made of). */
function tarOf(entries: [string, Uint8Array][]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const [name, data] of entries) {
    const header = new Uint8Array(512);
    const put = (text: string, at: number) => header.set(Buffer.from(text, 'latin1'), at);
    put(name, 0);
    put('0000644\0', 100);
    put('0000000\0', 108);
    put('0000000\0', 116);
    put(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    put('00000000000\0', 136);
    put('        ', 148);
    put('0', 156);
    put('ustar\0', 257);
    put('00', 263);
    let sum = 0;
    for (const b of header) sum += b;
    put(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  return new Uint8Array(Buffer.concat(blocks));
}
