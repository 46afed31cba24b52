// What headless-gl runs on, printed by scripts/headlessgl.sh: its WebGL version and renderer, and the Mesa
// driver it loaded (gl's ANGLE reports only "ANGLE"; underneath it is the X server's GL, e.g. llvmpipe).
// CommonJS on purpose: NODE_PATH (where the script builds gl) is honoured by require, not by ESM import.
const { readFileSync } = require('node:fs');
const { GPU } = require('gpu.js');
const gl = require('gl')(1, 1);
if (gl === null) throw new Error('headlessgl: gl could not create a context (no X display?)');
const drivers = new Set(readFileSync('/proc/self/maps', 'utf8').split('\n').map((line) => line.split(/\s+/)[5]).filter((path) => /_dri\.so/.test(path ?? '')));
console.log(`headlessgl: ${gl.getParameter(gl.VERSION)}, renderer ${gl.getParameter(gl.RENDERER)}, driver ${[...drivers].join(', ') || 'unknown'}; gpu.js headless-gl supported: ${GPU.isHeadlessGLSupported}`);
