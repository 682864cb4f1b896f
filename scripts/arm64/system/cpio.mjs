// Writes a gzip-compressed initramfs: a cpio archive in the "newc" format the kernel unpacks
// (Documentation/driver-api/early-userspace/buffer-format.rst), made from one directory tree, with
// every entry owned by root. Usage: node cpio.mjs <directory> <output.cpio.gz>
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

const [dir, out] = process.argv.slice(2);
if (!dir || !out) {
  console.error('usage: node cpio.mjs <directory> <output.cpio.gz>');
  process.exit(2);
}

const chunks = [];
let ino = 1;
const pad4 = (n) => Buffer.alloc((4 - (n % 4)) % 4);
const hex8 = (n) => n.toString(16).padStart(8, '0');

function entry(name, mode, data, nlink = 1) {
  const nameBuf = Buffer.from(`${name}\0`);
  const fields = [ino++, mode, 0, 0, nlink, 0, data.length, 0, 0, 0, 0, nameBuf.length, 0];
  const head = Buffer.from(`070701${fields.map(hex8).join('')}`);
  chunks.push(head, nameBuf, pad4(head.length + nameBuf.length), data, pad4(data.length));
}

function walk(rel) {
  const abs = path.join(dir, rel);
  for (const name of fs.readdirSync(abs).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const st = fs.lstatSync(path.join(dir, r));
    if (st.isDirectory()) {
      entry(r, st.mode, Buffer.alloc(0), 2);
      walk(r);
    } else if (st.isSymbolicLink()) {
      entry(r, st.mode, Buffer.from(fs.readlinkSync(path.join(dir, r))));
    } else if (st.isFile()) {
      entry(r, st.mode, fs.readFileSync(path.join(dir, r)));
    }
  }
}

walk('');
entry('TRAILER!!!', 0, Buffer.alloc(0));
fs.writeFileSync(out, zlib.gzipSync(Buffer.concat(chunks), { level: 1 }));
