// node views.js DEPTH: prints one JSON line with this process's AT_HWCAP* words in the three
// views of the public API (process, kernel, libc) and its TracerPid; at DEPTH 1 it also runs
// itself at DEPTH 2 with plain child_process (no hwcap involved), so a masked node child shows
// what its own child inherits. Used by test/kernel/guest/checks.js.
'use strict';
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const h = require(`${process.env.HWCAP_GUEST_PKG || '/hwcap'}/dist/index.js`);
const s = (w) => ({ hwcap: `0x${w.hwcap.toString(16)}`, hwcap2: `0x${w.hwcap2.toString(16)}` });
const tracerPid = Number(/^TracerPid:\s*(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
const depth = Number(process.argv[2] || 1);
console.log(JSON.stringify({ node: true, depth, tracerPid, process: s(h.hwcapWords('process')), kernel: s(h.hwcapWords('kernel')), libc: s(h.hwcapWords('libc')) }));
if (depth === 1) process.stdout.write(execFileSync(process.execPath, [__filename, '2']));
