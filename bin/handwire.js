#!/usr/bin/env node
// The installed `handwire` command: the compiled CLI in dist/ (npm run build makes it; the package
// ships it built). In a clone, `npm run dev -- ARGS` runs the TypeScript sources through tsx instead.
import '../dist/cli/main.js';
