#!/usr/bin/env node
// Thin launcher: runs the compiled CLI so that `-t` starts fast (no TypeScript compiler at run time).
import '../dist/cli/main.js';
